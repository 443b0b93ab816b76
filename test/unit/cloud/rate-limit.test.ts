import { describe, expect, it } from "vitest";
import {
  ACCOUNT_BUCKETS,
  actionClass,
  type Clock,
  createRateLimiter,
  nodeBuckets,
  TokenBucket,
} from "../../../cloud/ec2/rate-limit.ts";

describe("TokenBucket", () => {
  it("starts full, then refills at its rate", () => {
    const b = new TokenBucket({ capacity: 3, refillPerSec: 2 }, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([0, 0, 0]);
    expect(b.tryTake(0)).toBe(500); // one token every 500 ms
    expect(b.tryTake(250)).toBe(250);
    expect(b.tryTake(500)).toBe(0);
    expect(b.available(10_000)).toBe(3); // never above capacity
  });

  it("rejects a bucket that could never refill", () => {
    expect(() => new TokenBucket({ capacity: 1, refillPerSec: 0 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 0, refillPerSec: 1 }, 0)).toThrow(RangeError);
  });
});

describe("EC2 throttling classes", () => {
  it.each([
    ["CreateNetworkInterface", false, "ni-mutation"],
    ["DeleteNetworkInterface", false, "ni-mutation"],
    ["AssignPrivateIpAddresses", false, "ni-mutation"],
    ["UnassignPrivateIpAddresses", false, "ni-mutation"],
    ["ModifyNetworkInterfaceAttribute", false, "ni-mutation"],
    ["CreateTags", false, "create-tags"],
    ["AttachNetworkInterface", false, "mutate"],
    ["DetachNetworkInterface", false, "mutate"],
    ["DescribeSubnets", false, "describe"],
    ["DescribeInstanceTypes", false, "describe"],
    ["DescribeNetworkInterfaces", false, "describe"],
    ["DescribeNetworkInterfaces", true, "describe-unfiltered"],
    ["DescribeInstances", true, "describe-unfiltered"],
    ["DescribeSubnets", true, "describe"], // only these two have an unfiltered bucket
  ] as const)("%s unfiltered=%s -> %s", (action, unfiltered, cls) => {
    expect(actionClass(action, unfiltered)).toBe(cls);
  });

  it("account buckets are EC2's documented ones", () => {
    expect(ACCOUNT_BUCKETS["ni-mutation"]).toEqual({ capacity: 100, refillPerSec: 5 });
    expect(ACCOUNT_BUCKETS["create-tags"]).toEqual({ capacity: 100, refillPerSec: 10 });
    expect(ACCOUNT_BUCKETS.mutate).toEqual({ capacity: 50, refillPerSec: 5 });
    expect(ACCOUNT_BUCKETS.describe).toEqual({ capacity: 100, refillPerSec: 20 });
    expect(ACCOUNT_BUCKETS["describe-unfiltered"]).toEqual({ capacity: 50, refillPerSec: 10 });
  });

  it("a node gets a fraction of each account bucket, overridable per class", () => {
    const b = nodeBuckets(0.2, { describe: { capacity: 7, refillPerSec: 7 } });
    expect(b["ni-mutation"]).toEqual({ capacity: 20, refillPerSec: 1 });
    expect(b.mutate).toEqual({ capacity: 10, refillPerSec: 1 });
    expect(b.describe).toEqual({ capacity: 7, refillPerSec: 7 });
    expect(nodeBuckets(0.001)["mutate"].capacity).toBe(1); // never below one token
  });
});

/** A clock that only moves when someone sleeps (after pending microtasks ran, as real time would). */
function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      await new Promise((r) => setImmediate(r));
      c.t += ms;
    },
  };
  return c;
}

describe("createRateLimiter", () => {
  it("lets a burst through, then paces at the refill rate, in arrival order", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(nodeBuckets(1, { mutate: { capacity: 2, refillPerSec: 4 } }), clock);
    const released: [number, number][] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        await limiter.acquire("mutate");
        released.push([i, clock.t]);
      }),
    );
    expect(released).toEqual([
      [0, 0],
      [1, 0],
      [2, 250],
      [3, 500],
      [4, 750],
    ]);
  });

  it("classes do not share tokens", async () => {
    const clock = fakeClock();
    const one = { capacity: 1, refillPerSec: 1 };
    const limiter = createRateLimiter(nodeBuckets(1, { mutate: one, describe: one }), clock);
    await limiter.acquire("mutate");
    expect(await limiter.acquire("describe")).toBe(0);
    expect(clock.t).toBe(0);
    await limiter.acquire("mutate");
    expect(clock.t).toBe(1000);
  });
});
