// Our one retry policy for EC2 calls (the SDK's own retries are switched off,
// maxAttempts 1, so attempts and throttle counts are ours to report).
// Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): delay = random(0, min(cap, base * 2^attempt)).
// Full jitter spreads 1,000 nodes that were throttled together instead of
// having them retry in lock-step against the shared account bucket.
//
// Throttling is not a failure of the call, only of its timing: EC2 admits
// ~5 ENI mutations per second for the whole account, so when 1,000 nodes
// join, a call may wait minutes for its turn. Giving up after a few attempts
// (as for transient errors) makes the caller roll back and repeat work,
// which costs more tokens than it saves (bench:scale: 10,029 calls failed
// after retries, 700 ENIs created twice). So throttled attempts get their
// own, larger budget and a cap (default 60 x the throttle base = 30 s): N
// waiting nodes then retry about 2N/cap times a second instead of hammering
// the bucket, while a node is never more than one cap late for its token.

import { type Ec2Error, type Ec2ErrorKind, isEc2Error } from "./types.ts";

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry), counting non-throttled failures. */
  maxAttempts: number;
  /** Backoff ceiling before jitter for attempt n is baseDelayMs * 2^(n-1). */
  baseDelayMs: number;
  /** Upper bound of any single wait after a transient error. */
  maxDelayMs: number;
  /** Throttled calls get a larger base: the bucket refills at a few per second. */
  throttleBaseDelayMs: number;
  /** Upper bound of one wait after a throttle; default THROTTLE_CAP_FACTOR x throttleBaseDelayMs. */
  throttleMaxDelayMs?: number;
  /** Throttled attempts allowed before giving up; default THROTTLE_ATTEMPTS_FACTOR x maxAttempts. */
  throttleMaxAttempts?: number;
}

/** Derived defaults (so a time-scaled policy scales them too). */
export const THROTTLE_CAP_FACTOR = 60;
export const THROTTLE_ATTEMPTS_FACTOR = 8;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  // Throttled: 0.5 s doubling to a 30 s cap, up to 48 attempts (~20 min).
  throttleBaseDelayMs: 500,
};

/** Only these are worth another attempt; limit, subnet-full, invalid, not-found and unauthorized are final. */
export function isRetryable(kind: Ec2ErrorKind): boolean {
  return kind === "throttled" || kind === "transient";
}

export function throttleCap(policy: RetryPolicy): number {
  return policy.throttleMaxDelayMs ?? policy.throttleBaseDelayMs * THROTTLE_CAP_FACTOR;
}

export function throttleAttempts(policy: RetryPolicy): number {
  return policy.throttleMaxAttempts ?? policy.maxAttempts * THROTTLE_ATTEMPTS_FACTOR;
}

/** Pure: the wait before the next attempt, given the attempt that just failed (1-based). */
export function backoffDelay(policy: RetryPolicy, kind: Ec2ErrorKind, failedAttempt: number, random: number) {
  const throttled = kind === "throttled";
  const base = throttled ? policy.throttleBaseDelayMs : policy.baseDelayMs;
  const cap = throttled ? throttleCap(policy) : policy.maxDelayMs;
  const ceiling = Math.min(cap, base * 2 ** Math.min(30, failedAttempt - 1));
  return Math.floor(random * ceiling);
}

export interface RetryEnv {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const realRetryEnv: RetryEnv = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number; throttled: number }
  | { ok: false; error: Ec2Error; attempts: number; throttled: number };

/**
 * Runs `attempt` until it succeeds, fails with a final kind, or runs out of
 * attempts (throttles and other retryable errors have separate budgets).
 * `attempt` must throw Ec2Error (the facade maps errors first).
 * Never throws: the caller reports the outcome (metrics) and then throws.
 */
export async function runWithRetry<T>(
  policy: RetryPolicy,
  env: RetryEnv,
  attempt: (n: number) => Promise<T>,
): Promise<RetryOutcome<T>> {
  let throttled = 0;
  let other = 0;
  for (let n = 1; ; n++) {
    try {
      return { ok: true, value: await attempt(n), attempts: n, throttled };
    } catch (err) {
      if (!isEc2Error(err)) throw err;
      if (err.kind === "throttled") throttled++;
      else other++;
      const spent =
        err.kind === "throttled" ? throttled >= throttleAttempts(policy) : other >= policy.maxAttempts;
      if (!isRetryable(err.kind) || spent) {
        return { ok: false, error: err, attempts: n, throttled };
      }
      // The exponent follows the error's own count, so a long throttled wait
      // does not turn the first transient error into a 10 s sleep.
      const k = err.kind === "throttled" ? throttled : other;
      await env.sleep(backoffDelay(policy, err.kind, k, env.random()));
    }
  }
}
