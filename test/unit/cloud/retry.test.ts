import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  type RetryPolicy,
  runWithRetry,
  throttleAttempts,
  throttleCap,
} from "../../../cloud/ec2/retry.ts";
import { Ec2Error, type Ec2ErrorKind } from "../../../cloud/ec2/types.ts";

const policy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  throttleBaseDelayMs: 400,
  throttleMaxDelayMs: 1000,
  throttleMaxAttempts: 5,
};

function err(kind: Ec2ErrorKind) {
  return new Ec2Error({ kind, code: kind, action: "A", message: "m" });
}

function fakeEnv(random = 0.999999) {
  const sleeps: number[] = [];
  return { sleeps, env: { sleep: async (ms: number) => void sleeps.push(ms), random: () => random } };
}

describe("backoffDelay (full jitter)", () => {
  it.each([
    // kind, failed attempt, random, expected
    ["transient", 1, 1, 100],
    ["transient", 2, 1, 200],
    ["transient", 3, 1, 400],
    ["transient", 4, 1, 800],
    ["transient", 5, 1, 1000], // capped at maxDelay
    ["transient", 30, 1, 1000],
    ["transient", 3, 0.5, 200],
    ["transient", 3, 0, 0], // full jitter reaches zero
    ["throttled", 1, 1, 400],
    ["throttled", 2, 1, 800],
    ["throttled", 3, 1, 1000],
  ] as const)("%s attempt %i random %d -> %i ms", (kind, n, r, expected) => {
    expect(backoffDelay(policy, kind, n, r)).toBe(expected);
  });
});

describe("default throttle budget (derived, so a time-scaled policy scales it)", () => {
  it("caps one wait at 60 x the throttle base and allows 8 x maxAttempts throttles", () => {
    expect(throttleCap(DEFAULT_RETRY_POLICY)).toBe(30_000);
    expect(throttleAttempts(DEFAULT_RETRY_POLICY)).toBe(48);
    const scaled = { ...DEFAULT_RETRY_POLICY, throttleBaseDelayMs: 125 };
    expect(throttleCap(scaled)).toBe(7_500);
    expect(backoffDelay(DEFAULT_RETRY_POLICY, "throttled", 40, 1)).toBe(30_000);
    expect(backoffDelay(DEFAULT_RETRY_POLICY, "transient", 40, 1)).toBe(10_000);
  });
});

describe("isRetryable", () => {
  it.each([
    ["throttled", true],
    ["transient", true],
    ["limit", false],
    ["subnet-full", false],
    ["invalid", false],
    ["not-found", false],
    ["unauthorized", false],
  ] as const)("%s -> %s", (kind, expected) => expect(isRetryable(kind)).toBe(expected));
});

describe("runWithRetry", () => {
  it("retries throttled and transient errors, then succeeds; counts throttles", async () => {
    const { sleeps, env } = fakeEnv();
    const script: (Ec2ErrorKind | "ok")[] = ["throttled", "transient", "throttled", "ok"];
    const out = await runWithRetry(policy, env, async (n) => {
      const step = script[n - 1];
      if (step !== "ok") throw err(step ?? "invalid");
      return "done";
    });
    expect(out).toEqual({ ok: true, value: "done", attempts: 4, throttled: 2 });
    // Each kind doubles on its own count: throttled 400*1, transient 100*1, throttled 400*2.
    expect(sleeps).toEqual([399, 99, 799]);
  });

  it("throttles have their own budget: transient errors before do not use it up", async () => {
    const { env } = fakeEnv();
    const script: Ec2ErrorKind[] = ["transient", "transient", "transient", "throttled", "throttled"];
    const out = await runWithRetry({ ...policy, throttleMaxAttempts: 3 }, env, async (n) => {
      const step = script[n - 1];
      if (step !== undefined) throw err(step);
      return "done";
    });
    expect(out).toEqual({ ok: true, value: "done", attempts: 6, throttled: 2 });
  });

  it("a transient error after many throttles backs off from its own first step", async () => {
    const { sleeps, env } = fakeEnv(0.5);
    const script: Ec2ErrorKind[] = ["throttled", "throttled", "throttled", "transient"];
    await runWithRetry(policy, env, async (n) => {
      const step = script[n - 1];
      if (step !== undefined) throw err(step);
      return "done";
    });
    expect(sleeps).toEqual([200, 400, 500, 50]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const { sleeps, env } = fakeEnv();
    const out = await runWithRetry(policy, env, async () => {
      throw err("throttled");
    });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.kind).toBe("throttled");
    expect(out.attempts).toBe(5);
    expect(out.throttled).toBe(5);
    expect(sleeps).toHaveLength(4);
  });

  it.each(["limit", "subnet-full", "invalid", "not-found", "unauthorized"] as const)(
    "never retries %s",
    async (kind) => {
      const { sleeps, env } = fakeEnv();
      const out = await runWithRetry(policy, env, async () => {
        throw err(kind);
      });
      expect(out.attempts).toBe(1);
      expect(sleeps).toEqual([]);
    },
  );

  it("maxAttempts 1 means no retry", async () => {
    const { env } = fakeEnv();
    const out = await runWithRetry({ ...policy, maxAttempts: 1 }, env, async () => {
      throw err("transient");
    });
    expect(out.attempts).toBe(1);
  });

  it("rethrows what is not an Ec2Error (a bug in the facade, not an EC2 answer)", async () => {
    const { env } = fakeEnv();
    await expect(
      runWithRetry(policy, env, async () => {
        throw new RangeError("bug");
      }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});
