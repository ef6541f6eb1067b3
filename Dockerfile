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
ENV NODE_ENV=production \
    TRIPLINE_PATTERNS=/app/patterns
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY patterns ./patterns
# The official node image ships an unprivileged 'node' user (uid 1000).
USER node
ENTRYPOINT ["node", "bin/tripline.js"]
CMD ["run"]
