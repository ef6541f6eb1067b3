/**
 * Which groups of a pattern are due at a boundary, without visiting the sleeping ones.
 *
 * A group evaluated at T sleeps until its wake boundary (PatternRuntime.wakeAt); a new event
 * wakes it for the next boundary. Scanning every group at every boundary costs O(groups) even
 * when almost all sleep: with the bundled patterns, `billing-status-not-activated` (one group
 * per paying org, waiting minutes for a deadline) had 420,385 group checks per 1M bench lines
 * for 37,863 evaluations. Here a boundary costs O(due · log sleeping):
 *  - `awake`: groups due at the next boundary (woken by an event, or due again one step later);
 *  - a min-heap of sleeping groups by wake boundary. A group has at most one live entry
 *    (`heapKey`): when it goes back to sleep later than its entry, the entry stays and the group
 *    is pushed again with its real wake when the entry comes up (lazy rescheduling); an entry
 *    whose key is no longer the group's `heapKey`, or whose group was evicted, is dropped.
 * Due groups are returned in creation order (`seq`, the order of the pattern's group Map), the
 * order in which scanning evaluated them, so pattern-wide detector state (new_value's seen-set,
 * missing_follow_up's total pending) sees the same sequence of calls: transitions are identical
 * (test/unit/engine/engine-sleep.test.ts compares with evaluating every group at every boundary).
 */

/** Binary min-heap of (boundary, tie, value), ordered by boundary then tie. */
export class BoundaryHeap<V> {
  private readonly ts: number[] = [];
  private readonly ties: number[] = [];
  private readonly vs: V[] = [];

  get size(): number {
    return this.ts.length;
  }

  topT(): number {
    return this.ts[0]!;
  }

  clear(): void {
    this.ts.length = 0;
    this.ties.length = 0;
    this.vs.length = 0;
  }

  private less(a: number, b: number): boolean {
    const ta = this.ts[a]!;
    const tb = this.ts[b]!;
    return ta < tb || (ta === tb && this.ties[a]! < this.ties[b]!);
  }

  private swap(a: number, b: number): void {
    const t = this.ts[a]!;
    this.ts[a] = this.ts[b]!;
    this.ts[b] = t;
    const i = this.ties[a]!;
    this.ties[a] = this.ties[b]!;
    this.ties[b] = i;
    const v = this.vs[a]!;
    this.vs[a] = this.vs[b]!;
    this.vs[b] = v;
  }

  push(T: number, tie: number, v: V): void {
    this.ts.push(T);
    this.ties.push(tie);
    this.vs.push(v);
    let k = this.ts.length - 1;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (!this.less(k, parent)) break;
      this.swap(k, parent);
      k = parent;
    }
  }

  /** Removes the minimum; returns its value. */
  pop(): V {
    const top = this.vs[0]!;
    const lastT = this.ts.pop()!;
    const lastTie = this.ties.pop()!;
    const lastV = this.vs.pop()!;
    const n = this.ts.length;
    if (n > 0) {
      this.ts[0] = lastT;
      this.ties[0] = lastTie;
      this.vs[0] = lastV;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < n && this.less(l, m)) m = l;
        if (r < n && this.less(r, m)) m = r;
        if (m === k) break;
        this.swap(k, m);
        k = m;
      }
    }
    return top;
  }
}

/** The scheduling fields of a group (PatternRuntime's GroupRuntime). */
export interface Schedulable {
  /** First boundary at which the group must be evaluated again; -Infinity = the next one. */
  wake: number;
  /** Creation order within the pattern (the order of its group Map). */
  readonly seq: number;
  /** In the awake list. */
  awake: boolean;
  /** Key of the group's live heap entry; NaN = none. */
  heapKey: number;
  /** Boundary for which the group was last collected as due. */
  dueAt: number;
  /** False once evicted. */
  live: boolean;
}

export class SleepSchedule<G extends Schedulable> {
  private awake: G[] = [];
  private readonly heap = new BoundaryHeap<G>();

  /** A new event for g: due at the next boundary. */
  wakeNow(g: G): void {
    g.wake = -Infinity;
    if (!g.awake) {
      g.awake = true;
      this.awake.push(g);
    }
  }

  /** g, just evaluated, sleeps until boundary `w` (Infinity: until an event); `next` is the next boundary. */
  sleep(g: G, w: number, next: number): void {
    g.wake = w;
    if (w <= next) {
      if (!g.awake) {
        g.awake = true;
        this.awake.push(g);
      }
    } else if (w !== Infinity && !(g.heapKey <= w)) {
      g.heapKey = w;
      this.heap.push(w, g.seq, g);
    }
  }

  /** The live groups with wake <= T, in creation order. */
  due(T: number): G[] {
    const out: G[] = [];
    let sorted = true;
    const add = (g: G): void => {
      if (out.length > 0 && out[out.length - 1]!.seq > g.seq) sorted = false;
      out.push(g);
    };
    const awake = this.awake;
    this.awake = [];
    for (let i = 0; i < awake.length; i++) {
      const g = awake[i]!;
      g.awake = false;
      if (!g.live || g.dueAt === T) continue;
      g.dueAt = T;
      add(g);
    }
    const heap = this.heap;
    while (heap.size > 0 && heap.topT() <= T) {
      const key = heap.topT();
      const g = heap.pop();
      if (key !== g.heapKey) continue;
      g.heapKey = NaN;
      if (!g.live) continue;
      if (g.wake <= T) {
        if (g.dueAt !== T) {
          g.dueAt = T;
          add(g);
        }
      } else if (g.wake !== Infinity) {
        g.heapKey = g.wake;
        heap.push(g.wake, g.seq, g);
      }
    }
    if (!sorted) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /** Starts over from the groups' `wake` fields (after a restore or a long-gap batch). */
  rebuild(groups: Iterable<G>, next: number): void {
    this.awake = [];
    this.heap.clear();
    for (const g of groups) {
      g.awake = false;
      g.heapKey = NaN;
      g.dueAt = NaN;
      this.sleep(g, g.wake, next);
    }
  }
}
