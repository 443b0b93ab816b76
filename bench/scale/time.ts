// One time scale for the whole scale simulation. Everything that waits is
// multiplied by `s` (emulator answer/attach delays via its timeScale, retry
// back-offs, poll and reconcile intervals), and everything that REFILLS is
// divided by `s` (the emulator's account buckets and each node's client-side
// buckets: the emulator refills in real time, see cloud/emulator/options.ts).
// Bucket capacities stay as they are. Then 1 real second = 1/s AWS seconds
// and every rate and ratio is as on AWS; results are reported in AWS seconds.

import { DEFAULT_REQUEST_TIMEOUT_MS } from "../../cloud/ec2/options.ts";
import {
  ACCOUNT_BUCKETS,
  type ActionClass,
  type BucketSpec,
  nodeBuckets,
} from "../../cloud/ec2/rate-limit.ts";
import type { RetryPolicy } from "../../cloud/ec2/retry.ts";
import { type BucketConfig, DEFAULT_BUCKETS, type ThrottleClass } from "../../cloud/emulator/index.ts";

export function emulatorBuckets(s: number): Partial<Record<ThrottleClass, BucketConfig>> {
  const out: Partial<Record<ThrottleClass, BucketConfig>> = {};
  for (const [cls, b] of Object.entries(DEFAULT_BUCKETS) as [ThrottleClass, BucketConfig][]) {
    out[cls] = { capacity: b.capacity, refillPerSecond: b.refillPerSecond / s };
  }
  return out;
}

/** The client-side buckets ipamd ships with (fraction of the account's), refill scaled. */
export function clientBuckets(s: number): Record<ActionClass, BucketSpec> {
  const out = nodeBuckets();
  for (const k of Object.keys(out) as ActionClass[]) {
    out[k] = { capacity: out[k].capacity, refillPerSec: out[k].refillPerSec / s };
  }
  return out;
}

export function scaledRetry(p: RetryPolicy, s: number): RetryPolicy {
  return {
    maxAttempts: p.maxAttempts,
    baseDelayMs: p.baseDelayMs * s,
    maxDelayMs: p.maxDelayMs * s,
    throttleBaseDelayMs: p.throttleBaseDelayMs * s,
  };
}

export { ACCOUNT_BUCKETS };

/**
 * Per-attempt EC2 request timeout in the simulation, both policies: ipamd's
 * production timeout, scaled like every other wait (10 s x s). Until the
 * emulator got its own process (emulator-process.ts) the simulator itself
 * answered some calls >10 s late, so the bench ran with no timeout at all.
 */
export function simRequestTimeoutMs(s: number): number {
  return DEFAULT_REQUEST_TIMEOUT_MS * s;
}
