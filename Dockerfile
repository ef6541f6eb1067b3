# tripline service image. Runs the TypeScript sources through tsx (a runtime dependency),
# exactly as bin/tripline.js does locally, so there is no separate build step.
# Build from the repo root:  docker build -t tripline .

# ---- dependencies (production only)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime
FROM node:20-bookworm-slim
# tini as PID 1: forwards SIGTERM/SIGINT to node (which handles them in `tripline run`: drain,
# commit, leave the group within TRIPLINE_SHUTDOWN_TIMEOUT_MS) and reaps zombies. Node as PID 1
# gets no default signal dispositions, and Kubernetes has no `docker run --init`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    TRIPLINE_PATTERNS=/app/patterns
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY patterns ./patterns
# The official node image's unprivileged 'node' user, numerically, so Kubernetes'
# runAsNonRoot can verify it. tsx writes its compile cache to the temp dir (writable /tmp).
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/tripline.js"]
CMD ["run"]
