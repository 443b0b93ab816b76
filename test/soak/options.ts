// How big a soak run is. The short preset runs inside `npm test` (CI, every
// change); the long one is `npm run test:soak`. Numbers were sized on the
// 2-core project machine (see test/soak/README.md for the measurements).

export interface SoakOptions {
  seed: number;
  /** Pod ADD+DEL operations to run (an ADD and its DEL count as two). */
  operations: number;
  /** Operations in flight at once, over all nodes. */
  concurrency: number;
  /** Live pods per node the workload hovers around (ADD below, DEL above). */
  podsPerNode: number;
  /** Random SIGKILLs of ipamd (the mid-checkpoint kill comes on top). */
  randomKills: number;
  /** Fraction of EC2 calls failing with InternalError/Unavailable. */
  faultRate: number;
  /** Every this many ms: stop-the-world invariant check (addresses, ownership, connectivity sample). */
  checkEveryMs: number;
  /** Upper bound for the pool to be back at its targets after the last DEL. */
  poolSettleMs: number;
  /** Upper bound for the leak cleaner to delete the terminated node's ENIs. */
  leakCleanupMs: number;
}

export const SHORT: SoakOptions = {
  seed: 8,
  operations: 2000,
  concurrency: 8,
  podsPerNode: 12,
  randomKills: 5,
  faultRate: 0.2,
  checkEveryMs: 15_000,
  poolSettleMs: 60_000,
  leakCleanupMs: 150_000,
};

export const LONG: SoakOptions = {
  ...SHORT,
  operations: 10_000,
  podsPerNode: 20,
  randomKills: 15,
};

/** Overrides from SOAK_* environment variables (numbers only), e.g. SOAK_OPERATIONS=500. */
export function withEnv(base: SoakOptions, env: NodeJS.ProcessEnv): SoakOptions {
  const out: SoakOptions = { ...base };
  for (const key of Object.keys(base) as (keyof SoakOptions)[]) {
    const name = `SOAK_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const v = env[name];
    if (v === undefined || v === "") continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: expected a number >= 0`);
    out[key] = n;
  }
  return out;
}
