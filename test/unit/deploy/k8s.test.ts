// deploy/k8s/: the manifests tie together (ports, probes, env names, grace period, image) and the
// generated patterns ConfigMap is current. The Dockerfile is checked for the production basics.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ENV_VARS } from '../../../src/config/env-config.js';
import { loadServiceConfig } from '../../../src/config/service-config.js';
import { PATTERNS_CONFIGMAP_PATH, patternsConfigMap } from '../../../src/cli/k8s-patterns.js';

type Obj = Record<string, unknown>;
interface K8s {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Obj;
  data?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  livenessProbe: { httpGet: { path: string; port: string | number } };
  readinessProbe: { httpGet: { path: string; port: string | number } };
  resources: { requests: Obj; limits: Obj };
  volumeMounts: { name: string; mountPath: string }[];
}

const DIR = 'deploy/k8s';
const docs: K8s[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as K8s));
const one = (kind: string, name = 'tripline'): K8s => {
  const found = docs.filter((d) => d.kind === kind && d.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!;
};
const deployment = one('Deployment');
const podSpec = (deployment.spec!['template'] as { spec: Obj }).spec as { containers: Container[]; terminationGracePeriodSeconds: number; volumes: { name: string; configMap?: { name: string } }[]; securityContext: Obj };
const container = podSpec.containers[0]!;
const env = new Map(container.env.map((e) => [e.name, e]));
const envValue = (name: string): string => {
  const v = env.get(name)?.value;
  if (v === undefined) throw new Error(`env ${name} has no literal value`);
  return v;
};
const configYaml = one('ConfigMap', 'tripline-config').data!['tripline.yaml']!;
/** The service config as the pod sees it (config.yaml + the Deployment env, secrets faked). */
const loadPodConfig = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-k8s-'));
  const file = join(dir, 'tripline.yaml');
  writeFileSync(file, configYaml);
  const fakeEnv: Record<string, string> = {};
  for (const [name, e] of env) fakeEnv[name] = e.value ?? `secret-for-${name.toLowerCase()}`;
  return { dir, file, cfg: loadServiceConfig({ file, env: fakeEnv }) };
};
/** The partials partition count `tripline run` uses when none is configured (src/pipeline.ts). */
const defaultPartialsPartitions = (): number => {
  const m = /const DEFAULT_PARTIALS_PARTITIONS = (\d+);/.exec(readFileSync('src/pipeline.ts', 'utf8'));
  if (m === null) throw new Error('DEFAULT_PARTIALS_PARTITIONS not found in src/pipeline.ts');
  return Number(m[1]);
};

describe('deploy/k8s', () => {
  it('has every object the deployment needs', () => {
    for (const [kind, name] of [
      ['Deployment', 'tripline'],
      ['Service', 'tripline'],
      ['PodDisruptionBudget', 'tripline'],
      ['ServiceMonitor', 'tripline'],
      ['ScaledObject', 'tripline'],
      ['TriggerAuthentication', 'tripline-kafka'],
      ['ConfigMap', 'tripline-patterns'],
      ['ConfigMap', 'tripline-config'],
    ]) expect(() => one(kind!, name), `${kind}/${name}`).not.toThrow();
    const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && !['kustomization.yaml', 'secret.example.yaml'].includes(f));
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('ports tie together: container port = Service targetPort = ServiceMonitor port = TRIPLINE_HTTP_PORT', () => {
    const port = Number(envValue('TRIPLINE_HTTP_PORT'));
    const http = container.ports.find((p) => p.name === 'http')!;
    expect(http.containerPort).toBe(port);
    const svcPorts = one('Service').spec!['ports'] as { name: string; targetPort: string | number }[];
    const svcPort = svcPorts.find((p) => p.targetPort === http.name || p.targetPort === port)!;
    expect(svcPort, 'Service port targeting the container port').toBeDefined();
    const endpoints = one('ServiceMonitor').spec!['endpoints'] as { port: string; path: string }[];
    expect(endpoints.map((e) => e.port)).toEqual([svcPort.name]);
    expect(endpoints[0]!.path).toBe('/metrics');
    expect([container.livenessProbe.httpGet.port, container.readinessProbe.httpGet.port]).toEqual([http.name, http.name]);
  });

  it('selectors select the pod template labels', () => {
    const labels = (deployment.spec!['template'] as { metadata: { labels: Record<string, string> } }).metadata.labels;
    const sel = (m: Record<string, string>) => expect(labels).toMatchObject(m);
    sel((deployment.spec!['selector'] as { matchLabels: Record<string, string> }).matchLabels);
    sel(one('Service').spec!['selector'] as Record<string, string>);
    sel((one('PodDisruptionBudget').spec!['selector'] as { matchLabels: Record<string, string> }).matchLabels);
    expect(one('Service').metadata.labels).toMatchObject((one('ServiceMonitor').spec!['selector'] as { matchLabels: Record<string, string> }).matchLabels);
    expect((one('ScaledObject').spec!['scaleTargetRef'] as { name: string }).name).toBe(deployment.metadata.name);
  });

  it('probe paths exist in the telemetry server', () => {
    const server = readFileSync('src/telemetry/http-server.ts', 'utf8');
    for (const path of [container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path, '/metrics']) {
      expect(server, path).toContain(`case '${path}':`);
    }
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('every env name is a config variable or a PagerDuty routing key the config references; secrets come from secretKeyRef', () => {
    const routingEnv = [...configYaml.matchAll(/routing_key_env:\s*([A-Z0-9_]+)/g)].map((m) => m[1]!);
    expect(routingEnv.length).toBeGreaterThan(0);
    const known = new Set([...ENV_VARS.map((v) => v.name), ...routingEnv]);
    for (const name of env.keys()) expect(known.has(name), name).toBe(true);
    const secretNames = [...ENV_VARS.filter((v) => v.kind === 'secret').map((v) => v.name), ...routingEnv];
    for (const name of secretNames) {
      const e = env.get(name);
      if (e === undefined) continue;
      expect(e.value, `${name} must not be a literal`).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef?.name, name).toBe('tripline-secrets');
    }
    for (const name of ['ELASTICSEARCH_API_KEY', 'KAFKA_SASL_PASSWORD', ...routingEnv]) expect(env.has(name), name).toBe(true);
  });

  it('the service config and the environment validate with the real loader', () => {
    const { dir, file, cfg } = loadPodConfig();
    expect(cfg.http.port).toBe(Number(envValue('TRIPLINE_HTTP_PORT')));
    expect(Object.keys(cfg.pagerduty.routing_keys).sort()).toEqual(['billing', 'integrations', 'platform']);
    expect(container.args).toEqual(['run', '--config', file.replace(dir, '/etc/tripline/config')]);
  });

  it('patterns and config are mounted where the env and args point', () => {
    const mounts = new Map(container.volumeMounts.map((m) => [m.name, m.mountPath]));
    const volumes = new Map(podSpec.volumes.map((v) => [v.name, v.configMap?.name]));
    expect(mounts.get('patterns')).toBe(envValue('TRIPLINE_PATTERNS'));
    expect(volumes.get('patterns')).toBe('tripline-patterns');
    expect(volumes.get('config')).toBe('tripline-config');
    expect(mounts.get('tmp')).toBe('/tmp');
  });

  it('grace period covers the shutdown budget with a margin', () => {
    const timeoutMs = Number(envValue('TRIPLINE_SHUTDOWN_TIMEOUT_MS'));
    expect(podSpec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(timeoutMs + 10_000);
  });

  it('image tag is the package version, everywhere', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    const images = docs.flatMap((d) => JSON.stringify(d).match(/ghcr\.io\/tripline\/tripline:[^"]+/g) ?? []);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([`ghcr.io/tripline/tripline:${version}`]));
  });

  it('KEDA scales on the consumer group lag of both stages (raw topic + group, partials topic + group)', () => {
    type Trigger = { type: string; metadata: Record<string, string> };
    const triggers = one('ScaledObject').spec!['triggers'] as Trigger[];
    for (const t of triggers) {
      expect(t.type).toBe('kafka');
      expect(t.metadata['bootstrapServers']).toBe(envValue('KAFKA_BROKERS'));
      expect(Number(t.metadata['lagThreshold'])).toBeGreaterThan(0);
      expect(t.metadata['allowIdleConsumers'], 'never more consumers than partitions').toBe('false');
    }
    const group = envValue('KAFKA_GROUP_ID');
    const raw = triggers[0]!;
    expect(raw.metadata['consumerGroup']).toBe(group);
    expect(raw.metadata['topic']).toBe(envValue('KAFKA_TOPICS'));
    const kafka = loadPodConfig().cfg.kafka!;
    const partials = triggers.find((t) => t.metadata['consumerGroup'] === `${group}-partials`);
    expect(partials, 'a trigger on the stage-2 group').toBeDefined();
    expect(partials!.metadata['topic']).toBe(kafka.partials_topic ?? `${group}-partials`);
  });

  it('replica counts: replicas = KEDA min <= KEDA max <= partials partitions (more pods get no stage-2 work)', () => {
    const spec = one('ScaledObject').spec!;
    const replicas = deployment.spec!['replicas'] as number;
    const max = spec['maxReplicaCount'] as number;
    const partitions = loadPodConfig().cfg.kafka!.partials_partitions ?? defaultPartialsPartitions();
    expect(spec['minReplicaCount']).toBe(replicas);
    expect(replicas).toBeGreaterThanOrEqual(1);
    expect(replicas).toBeLessThanOrEqual(max);
    expect(max).toBeLessThanOrEqual(partitions);
    // Overlapping pods are safe now (per-task checkpoints restored before use): surge, do not drop capacity.
    const rolling = (deployment.spec!['strategy'] as { rollingUpdate: { maxSurge: number; maxUnavailable: number } }).rollingUpdate;
    expect(rolling.maxSurge).toBeGreaterThanOrEqual(1);
    const pdb = one('PodDisruptionBudget').spec!['maxUnavailable'] as number;
    expect(pdb).toBeLessThan(replicas);
  });

  it('the idle rule outlasts a crashed pod\'s session timeout (30 s) + rebalance, so its partitions are not declared idle', () => {
    const { cfg } = loadPodConfig();
    expect(cfg.idle_timeout_ms).toBeGreaterThanOrEqual(30_000 + 30_000);
  });

  it('the patterns ConfigMap is generated from patterns/ (regenerate: npx tsx src/cli/k8s-patterns.ts)', () => {
    expect(readFileSync(PATTERNS_CONFIGMAP_PATH, 'utf8')).toBe(patternsConfigMap('patterns'));
  });
});

describe('Dockerfile', () => {
  const text = readFileSync('Dockerfile', 'utf8');
  it('multi-stage, production deps only, non-root, tini as PID 1', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain('npm ci --omit=dev');
    expect(text).toMatch(/^USER 1000(:1000)?$/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "bin\/tripline\.js"\]$/m);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies['tsx'], 'bin/tripline.js runs TS through tsx at runtime').toBeDefined();
  });
  it('the k8s pod user matches the image user', () => {
    expect(podSpec.securityContext['runAsUser']).toBe(1000);
  });
});
