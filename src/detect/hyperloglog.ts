import { hash2 } from './hash.js';

/**
 * HyperLogLog with p = 12 (m = 4096 registers, one byte each = 4 KB; 6 bits would do, a byte is
 * faster). Standard error 1.04 / sqrt(m) = 1.63%: the estimate is within ±3.3% of the true count
 * about 95% of the time, ±4.9% about 99.7%. Linear counting below 2.5m. Register index from one
 * 32-bit hash, rank from an independent second one (so ranks go up to 33: no large-range
 * correction needed below ~10^9 values). Mergeable: register-wise max.
 */
export const HLL_P = 12;
export const HLL_M = 1 << HLL_P;
const ALPHA = 0.7213 / (1 + 1.079 / HLL_M);
const scratch = new Uint32Array(2);

export class HyperLogLog {
  readonly reg: Uint8Array;

  constructor(reg?: Uint8Array) {
    this.reg = reg ?? new Uint8Array(HLL_M);
  }

  add(value: string): void {
    hash2(value, scratch);
    const idx = scratch[0]! >>> (32 - HLL_P);
    const rank = Math.clz32(scratch[1]!) + 1;
    if (rank > this.reg[idx]!) this.reg[idx] = rank;
  }

  merge(o: HyperLogLog): void {
    const a = this.reg;
    const b = o.reg;
    for (let i = 0; i < HLL_M; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    const r = this.reg;
    for (let i = 0; i < HLL_M; i++) {
      const v = r[i]!;
      sum += 1 / 2 ** v;
      if (v === 0) zeros++;
    }
    const e = (ALPHA * HLL_M * HLL_M) / sum;
    if (e <= 2.5 * HLL_M && zeros > 0) return HLL_M * Math.log(HLL_M / zeros);
    return e;
  }

  toBase64(): string {
    return Buffer.from(this.reg).toString('base64');
  }

  static fromBase64(s: string): HyperLogLog {
    const buf = Buffer.from(s, 'base64');
    const reg = new Uint8Array(HLL_M);
    reg.set(buf.subarray(0, HLL_M));
    return new HyperLogLog(reg);
  }
}
