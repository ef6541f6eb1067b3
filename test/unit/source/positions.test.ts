import { describe, expect, it } from 'vitest';
import { SourcePositions } from '../../../src/source/positions.js';

describe('SourcePositions', () => {
  it('skips records below the next offset, advances past the rest, round-trips through snapshot/restore', () => {
    const p = new SourcePositions();
    expect(p.indexOf('logs', 2)).toBe(0);
    expect(p.indexOf('logs', 0)).toBe(1);
    expect(p.indexOf('logs', 2)).toBe(0);
    expect(p.advance({ topic: 'logs', partition: 2, offset: '9007199254740993' })).toBe(true);
    expect(p.advance({ topic: 'logs', partition: 0, offset: '5' })).toBe(true);
    const snap = JSON.parse(JSON.stringify(p.snapshot())) as ReturnType<SourcePositions['snapshot']>;
    expect(snap).toEqual({ offsets: { logs: { '2': '9007199254740994', '0': '6' } }, partition_index: [['logs', 2], ['logs', 0]] });

    const q = new SourcePositions();
    q.restore(snap);
    expect(q.size).toBe(2);
    expect(q.indexOf('logs', 0)).toBe(1);
    expect(q.indexOf('other', 0)).toBe(2);
    expect(q.advance({ topic: 'logs', partition: 0, offset: '3' })).toBe(false); // redelivered, already in the state
    expect(q.advance({ topic: 'logs', partition: 0, offset: '5' })).toBe(false);
    expect(q.advance({ topic: 'logs', partition: 0, offset: '6' })).toBe(true);
    expect(q.advance({ topic: 'logs', partition: 1, offset: '0' })).toBe(true); // never seen: observed
  });
});
