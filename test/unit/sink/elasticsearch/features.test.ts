import { describe, expect, it } from 'vitest';
import { chooseWriteMode, classifyProbe, detectFeatures } from '../../../../src/sink/elasticsearch/features.js';

describe('feature detection', () => {
  it('classifies probe statuses', () => {
    expect(classifyProbe(200, 'x')).toBe('present');
    for (const s of [400, 404, 405, 410, 501]) expect(classifyProbe(s, 'x')).toBe('absent');
    expect(classifyProbe(403, 'x')).toBe('forbidden');
    expect(() => classifyProbe(401, 'x')).toThrow(expect.objectContaining({ code: 'SINK_AUTH' }));
    expect(() => classifyProbe(503, 'x')).toThrow(expect.objectContaining({ code: 'SINK_RETRIABLE', retriable: true }));
    expect(() => classifyProbe(429, 'x')).toThrow(expect.objectContaining({ code: 'SINK_RETRIABLE' }));
  });

  it('detects from probes, treating 403 as absent but reported', async () => {
    const statuses: Record<string, number> = { '/_data_stream': 200, '/_ilm/status': 403 };
    const f = await detectFeatures(async (p) => statuses[p]!);
    expect(f).toEqual({ dataStreams: true, ilm: false, forbidden: ['ILM'] });
  });

  it('chooses the write mode', () => {
    expect(chooseWriteMode('auto', { dataStreams: false, ilm: false })).toMatchObject({ mode: 'index', ilm: false });
    expect(chooseWriteMode('auto', { dataStreams: true, ilm: false })).toMatchObject({ mode: 'data_stream', ilm: false });
    expect(chooseWriteMode('auto', { dataStreams: true, ilm: true })).toMatchObject({ mode: 'data_stream', ilm: true });
    expect(chooseWriteMode('index', { dataStreams: true, ilm: true })).toMatchObject({ mode: 'index', ilm: false });
    expect(chooseWriteMode('data_stream', { dataStreams: true, ilm: true })).toMatchObject({ mode: 'data_stream' });
    expect(() => chooseWriteMode('data_stream', { dataStreams: false, ilm: true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    // ILM without data streams is never used (dated indices are not rolled over).
    expect(chooseWriteMode('auto', { dataStreams: false, ilm: true })).toMatchObject({ mode: 'index', ilm: false });
  });
});
