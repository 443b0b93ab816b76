// Contract: throttling. The facade retries through an endpoint's
// RequestLimitExceeded and reports it; with attempts exhausted it raises kind
// "throttled"; and a node's own bucket keeps it from being throttled at all.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEc2Client } from "../../../cloud/ec2/client.ts";
import type { Ec2CallRecord } from "../../../cloud/ec2/types.ts";
import { missing, openTarget, type Target, type World } from "./target.ts";

let target: Target;
let world: World;

beforeAll(async () => {
  target = await openTarget();
  world = await target.world({ subnetMask: 24, instanceType: "m5.large" });
});
afterAll(async () => {
  await target?.close();
});
beforeEach((ctx) => {
  const why = missing(target, "throttling");
  if (why) ctx.skip(why);
});

function facade(records: Ec2CallRecord[], opts: Parameters<typeof createEc2Client>[0] = {}) {
  return createEc2Client({
    endpoint: target.endpoint,
    region: target.region,
    onCall: (r) => records.push(r),
    ...opts,
  });
}

const serverThrottled = () => target.emulator!.stats().byAction["DescribeSubnets"]?.throttled ?? 0;

describe("throttling", () => {
  it("retries through the endpoint's throttling and succeeds", async () => {
    target.emulator!.admin.setThrottle({ buckets: { describe: { capacity: 2, refillPerSecond: 10 } } });
    const before = serverThrottled();
    const records: Ec2CallRecord[] = [];
    const ec2 = facade(records, { rateLimits: false, retry: { maxAttempts: 10, throttleBaseDelayMs: 100 } });
    const answers = await Promise.all(Array.from({ length: 8 }, () => ec2.describeSubnets([world.subnetId])));
    ec2.close();
    expect(answers.every((a) => a.length === 1)).toBe(true);
    expect(records.every((r) => r.outcome === "ok")).toBe(true);
    const throttled = records.reduce((n, r) => n + r.throttled, 0);
    expect(throttled).toBeGreaterThan(0);
    // What the facade counted is what the endpoint refused.
    expect(serverThrottled() - before).toBe(throttled);
    expect(records.reduce((n, r) => n + r.attempts, 0)).toBe(8 + throttled);
  });

  it("raises kind throttled once its attempts are exhausted", async () => {
    target.emulator!.admin.setThrottle({ buckets: { describe: { capacity: 0, refillPerSecond: 0 } } });
    const records: Ec2CallRecord[] = [];
    const ec2 = facade(records, {
      rateLimits: false,
      retry: { maxAttempts: 3, throttleMaxAttempts: 3, throttleBaseDelayMs: 5 },
    });
    const err = await ec2.describeSubnets([world.subnetId]).catch((e: unknown) => e);
    ec2.close();
    expect(err).toMatchObject({ kind: "throttled", code: "RequestLimitExceeded", action: "DescribeSubnets" });
    expect(records).toEqual([expect.objectContaining({ outcome: "throttled", attempts: 3, throttled: 3 })]);
  });

  it("a node bucket below the account's is never throttled by the endpoint", async () => {
    target.emulator!.admin.setThrottle({ buckets: { describe: { capacity: 3, refillPerSecond: 5 } } });
    const before = serverThrottled();
    const records: Ec2CallRecord[] = [];
    // Half the endpoint's refill rate: 200 ms of slack per call for HTTP jitter on a busy machine.
    const ec2 = facade(records, {
      rateLimits: { buckets: { describe: { capacity: 3, refillPerSec: 2.5 } } },
    });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => ec2.describeSubnets([world.subnetId])));
    const elapsed = performance.now() - t0;
    ec2.close();
    expect(serverThrottled() - before).toBe(0);
    expect(records.every((r) => r.outcome === "ok" && r.attempts === 1)).toBe(true);
    // 3 at once, then 3 more at 2.5/s: the client waited ~1.2 s instead of being refused.
    expect(elapsed).toBeGreaterThan(1100);
  });
});
