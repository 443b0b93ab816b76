// Contract: every Ec2Error kind the pool logic branches on, produced by a
// real endpoint over HTTP and mapped by the facade.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, type Ec2Client } from "../../../cloud/ec2/client.ts";
import { type Ec2CallRecord, isEc2Error } from "../../../cloud/ec2/types.ts";
import { rng } from "../../support/rng.ts";
import { missing, openTarget, REFUSED_ACCESS_KEY, type Target } from "./target.ts";

let target: Target;
let ec2: Ec2Client;
const records: Ec2CallRecord[] = [];

beforeAll(async () => {
  // Seeded fault injection: a 0.5 fault rate with 6 attempts fails a whole
  // call with probability 1/64, so an unseeded run of 10 calls failed ~15 % of
  // the time. With a fixed stream the same requests fail on every run.
  target = await openTarget({ timeScale: 0, random: rng(20261122) });
  ec2 = createEc2Client({
    endpoint: target.endpoint,
    region: target.region,
    rateLimits: { fraction: 1 },
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    onCall: (r) => records.push(r),
  });
});
afterAll(async () => {
  ec2?.close();
  await target?.close();
});

const fail = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );

describe("limit", () => {
  it("AttachmentLimitExceeded: t3.micro takes 2 ENIs, the 3rd attach fails", async (ctx) => {
    const why = missing(target, "limits");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 24, instanceType: "t3.micro" });
    const mk = () =>
      ec2.createNetworkInterface({ subnetId: w.subnetId, securityGroupIds: [], description: "", tags: {} });
    const [a, b] = [await mk(), await mk()];
    await ec2.attachNetworkInterface({ eniId: a.id, instanceId: w.instanceId, deviceIndex: 1 });
    const err = await fail(
      ec2.attachNetworkInterface({ eniId: b.id, instanceId: w.instanceId, deviceIndex: 2 }),
    );
    expect(err).toMatchObject({
      kind: "limit",
      code: "AttachmentLimitExceeded",
      action: "AttachNetworkInterface",
    });
    expect(records.at(-1)).toMatchObject({ outcome: "limit", attempts: 1 });
  });

  it("PrivateIpAddressLimitExceeded: t3.micro ENIs hold 2 addresses", async (ctx) => {
    const why = missing(target, "limits");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 24, instanceType: "t3.micro" });
    const [inst] = await ec2.describeInstances([w.instanceId]);
    const primary = inst!.networkInterfaces[0]!;
    const one = await ec2.assignPrivateIpAddresses({ eniId: primary.id, ipCount: 1 });
    expect(one.ips).toHaveLength(1);
    const err = await fail(ec2.assignPrivateIpAddresses({ eniId: primary.id, ipCount: 1 }));
    expect(err).toMatchObject({ kind: "limit", code: "PrivateIpAddressLimitExceeded" });
  });
});

describe("subnet-full", () => {
  it("InsufficientFreeAddressesInSubnet: a /28 holds 11 usable addresses", async (ctx) => {
    const why = missing(target, "subnetFull");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 28, instanceType: "m5.large" }); // instance takes 1
    await ec2.createNetworkInterface({
      subnetId: w.subnetId,
      securityGroupIds: [],
      description: "",
      secondaryIpCount: 8,
      tags: {},
    }); // 9 more: 1 left
    const err = await fail(
      ec2.createNetworkInterface({
        subnetId: w.subnetId,
        securityGroupIds: [],
        description: "",
        secondaryIpCount: 1,
        tags: {},
      }),
    );
    expect(err).toMatchObject({ kind: "subnet-full", code: "InsufficientFreeAddressesInSubnet" });
    const [subnet] = await ec2.describeSubnets([w.subnetId]);
    expect(subnet?.availableIpAddressCount).toBe(1);
  });

  it("InsufficientCidrBlocks: no free aligned /28 left in a /28 subnet", async (ctx) => {
    const why = missing(target, "subnetFull") ?? missing(target, "prefixes");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 28, instanceType: "m5.large" });
    const [inst] = await ec2.describeInstances([w.instanceId]);
    const err = await fail(
      ec2.assignPrivateIpAddresses({ eniId: inst!.networkInterfaces[0]!.id, prefixCount: 1 }),
    );
    expect(err).toMatchObject({ kind: "subnet-full", code: "InsufficientCidrBlocks" });
  });
});

describe("not-found", () => {
  it.each([
    ["DeleteNetworkInterface", () => ec2.deleteNetworkInterface("eni-0123456789abcdef0")],
    [
      "DetachNetworkInterface",
      () => ec2.detachNetworkInterface({ attachmentId: "eni-attach-0123456789abcdef0" }),
    ],
    ["DescribeInstances", () => ec2.describeInstances(["i-0123456789abcdef0"])],
    [
      "CreateNetworkInterface",
      () =>
        ec2.createNetworkInterface({
          subnetId: "subnet-0123456789abcdef0",
          securityGroupIds: [],
          description: "",
          tags: {},
        }),
    ],
  ] as const)("%s on a missing id", async (action, call) => {
    const err = await fail(call());
    expect(isEc2Error(err, "not-found")).toBe(true);
    expect(err).toMatchObject({ action });
    expect((err as { code: string }).code).toMatch(/NotFound$/);
  });
});

describe("invalid", () => {
  it("secondary IPs and prefixes together", async () => {
    const w = await target.world({ subnetMask: 24, instanceType: "m5.large" });
    const err = await fail(
      ec2.createNetworkInterface({
        subnetId: w.subnetId,
        securityGroupIds: [],
        description: "",
        secondaryIpCount: 1,
        prefixCount: 1,
        tags: {},
      }),
    );
    expect(err).toMatchObject({ kind: "invalid", code: "InvalidParameterCombination" });
    expect(records.at(-1)).toMatchObject({ outcome: "invalid", attempts: 1 });
  });

  it("prefixes on a Xen instance (m4.large) are refused, not retried", async (ctx) => {
    const why = missing(target, "prefixes");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 24, instanceType: "m4.large" });
    const [inst] = await ec2.describeInstances([w.instanceId]);
    const err = await fail(
      ec2.assignPrivateIpAddresses({ eniId: inst!.networkInterfaces[0]!.id, prefixCount: 1 }),
    );
    expect(isEc2Error(err, "invalid")).toBe(true);
  });
});

describe("transient", () => {
  it("retries injected InternalError/Unavailable and succeeds", async (ctx) => {
    const why = missing(target, "faults");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 24, instanceType: "m5.large" });
    target.emulator!.admin.setFaults({ DescribeSubnets: 0.5 });
    try {
      for (let i = 0; i < 10; i++) expect(await ec2.describeSubnets([w.subnetId])).toHaveLength(1);
    } finally {
      target.emulator!.admin.setFaults({});
    }
    const mine = records.filter((r) => r.action === "DescribeSubnets").slice(-10);
    expect(mine.every((r) => r.outcome === "ok")).toBe(true);
    expect(mine.some((r) => r.attempts > 1)).toBe(true);
  });

  it("raises kind transient when every attempt fails", async (ctx) => {
    const why = missing(target, "faults");
    if (why) return ctx.skip(why);
    const w = await target.world({ subnetMask: 24, instanceType: "m5.large" });
    target.emulator!.admin.setFaults({ DescribeSubnets: 1 });
    try {
      const err = await fail(ec2.describeSubnets([w.subnetId]));
      expect(err).toMatchObject({ kind: "transient" });
      expect(["InternalError", "Unavailable"]).toContain((err as { code: string }).code);
      expect(records.at(-1)).toMatchObject({ outcome: "transient", attempts: 6 });
    } finally {
      target.emulator!.admin.setFaults({});
    }
  });
});

describe("unauthorized", () => {
  it("UnauthorizedOperation / AuthFailure map to kind unauthorized", async (ctx) => {
    const why = missing(target, "unauthorized");
    if (why) return ctx.skip(why);
    // A target that checks credentials: wrong keys must be refused.
    const bad = createEc2Client({
      endpoint: target.endpoint,
      region: target.region,
      credentials: { accessKeyId: REFUSED_ACCESS_KEY, secretAccessKey: "wrong" },
    });
    const err = await fail(bad.describeSubnets(["subnet-0123456789abcdef0"]));
    bad.close();
    expect(isEc2Error(err, "unauthorized")).toBe(true);
  });
});
