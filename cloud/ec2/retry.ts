// Our one retry policy for EC2 calls (the SDK's own retries are switched off,
// maxAttempts 1, so attempts and throttle counts are ours to report).
// Exponential backoff with "full jitter" (AWS Architecture Blog, "Exponential
// Backoff And Jitter"): delay = random(0, min(maxDelay, base * 2^attempt)).
// Full jitter spreads 1,000 nodes that were throttled together instead of
// having them retry in lock-step against the shared account bucket.

import { type Ec2Error, type Ec2ErrorKind, isEc2Error } from "./types.ts";

export interface RetryPolicy {
  /** Total attempts, the first included (1 = no retry). */
  maxAttempts: number;
  /** Backoff ceiling before jitter for attempt n is baseDelayMs * 2^(n-1). */
  baseDelayMs: number;
  /** Upper bound of any single wait. */
  maxDelayMs: number;
  /** Throttled calls get a larger base: the bucket refills at a few per second. */
  throttleBaseDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  throttleBaseDelayMs: 500,
};

/** Only these are worth another attempt; limit, subnet-full, invalid, not-found and unauthorized are final. */
export function isRetryable(kind: Ec2ErrorKind): boolean {
  return kind === "throttled" || kind === "transient";
}

/** Pure: the wait before the next attempt, given the attempt that just failed (1-based). */
export function backoffDelay(policy: RetryPolicy, kind: Ec2ErrorKind, failedAttempt: number, random: number) {
  const base = kind === "throttled" ? policy.throttleBaseDelayMs : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** (failedAttempt - 1));
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
 * attempts. `attempt` must throw Ec2Error (the facade maps errors first).
 * Never throws: the caller reports the outcome (metrics) and then throws.
 */
export async function runWithRetry<T>(
  policy: RetryPolicy,
  env: RetryEnv,
  attempt: (n: number) => Promise<T>,
): Promise<RetryOutcome<T>> {
  let throttled = 0;
  for (let n = 1; ; n++) {
    try {
      return { ok: true, value: await attempt(n), attempts: n, throttled };
    } catch (err) {
      if (!isEc2Error(err)) throw err;
      if (err.kind === "throttled") throttled++;
      if (!isRetryable(err.kind) || n >= policy.maxAttempts) {
        return { ok: false, error: err, attempts: n, throttled };
      }
      await env.sleep(backoffDelay(policy, err.kind, n, env.random()));
    }
  }
}
