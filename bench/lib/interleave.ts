// Side-by-side measurement: both contenders run in the same process, one
// iteration each in alternation (A B A B ... with the order flipped every
// round), so drift on a shared machine hits both sides alike. Benchmarks
// compare the resulting ratios, never absolute times across runs.

export interface Contender {
  name: string;
  /** One measured operation; resolve when done. Setup belongs in `prepare`. */
  run: (iteration: number) => Promise<void>;
  /** Unmeasured work before each run (e.g. create the namespace). */
  prepare?: (iteration: number) => Promise<void>;
  /** Unmeasured work after each run (e.g. DEL, delete the namespace). */
  cleanup?: (iteration: number) => Promise<void>;
}

export interface InterleavedResult {
  /** Samples in milliseconds, per contender name. */
  samples: Record<string, number[]>;
}

export async function interleave(
  contenders: readonly Contender[],
  iterations: number,
  opts: { warmup?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<InterleavedResult> {
  const samples: Record<string, number[]> = {};
  for (const c of contenders) samples[c.name] = [];
  const warmup = opts.warmup ?? 3;
  for (let i = -warmup; i < iterations; i++) {
    const order = i % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      await c.prepare?.(i);
      const t0 = process.hrtime.bigint();
      await c.run(i);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      await c.cleanup?.(i);
      if (i >= 0) samples[c.name]!.push(ms);
    }
    if (i >= 0) opts.onProgress?.(i + 1, iterations);
  }
  return { samples };
}
