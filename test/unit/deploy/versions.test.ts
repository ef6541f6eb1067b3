// The Docker Compose file for users must run the same Kafka / Elasticsearch / Kibana versions
// as the local stack that CI tests against (deploy/local/versions.env).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../../', import.meta.url);

function readVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(new URL('deploy/local/versions.env', root), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z][A-Z0-9_]*)=([^\s"'$]+)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) throw new Error(`versions.env: unexpected line '${line}'`);
    out[m[1]] = m[2];
  }
  return out;
}

interface ComposeFile {
  services: Record<string, { image?: string; build?: unknown }>;
}

function imageOf(compose: ComposeFile, service: string): { repo: string; tag: string } {
  const image = compose.services[service]?.image;
  if (image === undefined) throw new Error(`service ${service} has no image`);
  const at = image.lastIndexOf(':');
  return { repo: image.slice(0, at), tag: image.slice(at + 1) };
}

describe('deploy versions', () => {
  const versions = readVersions();
  const compose = parse(readFileSync(new URL('deploy/docker-compose.yml', root), 'utf8')) as ComposeFile;

  it('pins every version the scripts need', () => {
    for (const key of ['KAFKA_VERSION', 'KAFKA_SCALA_VERSION', 'LOG4J_VERSION', 'ELASTICSEARCH_VERSION', 'KIBANA_VERSION']) {
      expect(versions[key], key).toMatch(/^\d+\.\d+(\.\d+)?$/);
    }
    expect(versions.KIBANA_VERSION).toBe(versions.ELASTICSEARCH_VERSION);
  });

  it('compose Kafka image equals the local Kafka version', () => {
    expect(imageOf(compose, 'kafka')).toEqual({ repo: 'apache/kafka', tag: versions.KAFKA_VERSION });
  });

  it('compose Elasticsearch image equals the local Elasticsearch version', () => {
    expect(imageOf(compose, 'elasticsearch')).toEqual({
      repo: 'docker.elastic.co/elasticsearch/elasticsearch',
      tag: versions.ELASTICSEARCH_VERSION,
    });
  });

  it('compose Kibana image equals the local Elasticsearch version', () => {
    expect(imageOf(compose, 'kibana')).toEqual({ repo: 'docker.elastic.co/kibana/kibana', tag: versions.KIBANA_VERSION });
  });

  it('tripline is built from the repo Dockerfile', () => {
    expect(compose.services.tripline?.build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
  });

  it('the Kafka pom defaults agree with versions.env', () => {
    const pom = readFileSync(new URL('deploy/local/kafka/pom.xml', root), 'utf8');
    expect(pom).toContain(`<kafka.version>${versions.KAFKA_VERSION}</kafka.version>`);
    expect(pom).toContain(`<log4j.version>${versions.LOG4J_VERSION}</log4j.version>`);
  });
});
