// Contract: the Ec2Api facade over HTTP against a whole EC2 (the emulator, or
// EC2_ENDPOINT). ENI lifecycle, tags, pagination, prefixes, instance types.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, type Ec2Client } from "../../../cloud/ec2/client.ts";
import type { Ec2CallRecord } from "../../../cloud/ec2/types.ts";
import {
  clearInstanceTypeCache,
  refreshInstanceType,
  resolveInstanceType,
} from "../../../cloud/limits/resolve.ts";
import { missing, openTarget, type Target, until, type World } from "./target.ts";

let target: Target;
let ec2: Ec2Client;
let world: World;
const records: Ec2CallRecord[] = [];

beforeAll(async () => {
  target = await openTarget();
  ec2 = createEc2Client({
    endpoint: target.endpoint,
    region: target.region,
    pageSize: 5,
    // The whole account bucket: this suite checks behaviour, not pacing (throttling.contract.test.ts does).
    rateLimits: { fraction: 1 },
    onCall: (r) => records.push(r),
  });
  world = await target.world({ subnetMask: 24, instanceType: "m5.large" });
});
afterAll(async () => {
  ec2?.close();
  await target?.close();
});

async function attached(eniId: string) {
  return until(async () => {
    const [e] = await ec2.describeNetworkInterfaces({ ids: [eniId] });
    return e?.attachment?.status === "attached" ? e : undefined;
  });
}

describe(`ENI lifecycle through the facade`, () => {
  it("describes the instance with its primary ENI, and its subnet", async () => {
    const [inst] = await ec2.describeInstances([world.instanceId]);
    expect(inst?.id).toBe(world.instanceId);
    expect(inst?.instanceType).toBe("m5.large");
    expect(inst?.subnetId).toBe(world.subnetId);
    expect(inst?.networkInterfaces).toHaveLength(1);
    expect(inst?.networkInterfaces[0]?.attachment?.deviceIndex).toBe(0);
    expect(inst?.networkInterfaces[0]?.primaryIp).toBe(inst?.privateIp);
    const [subnet] = await ec2.describeSubnets([world.subnetId]);
    expect(subnet?.cidr).toMatch(/\/24$/);
    expect(subnet?.availableIpAddressCount).toBeGreaterThan(200);
  });

  it("create (tags, secondary IPs) -> attach -> assign -> unassign -> detach -> delete", async () => {
    const eni = await ec2.createNetworkInterface({
      subnetId: world.subnetId,
      securityGroupIds: [],
      description: "contract",
      secondaryIpCount: 2,
      tags: { "cni.test/owner": world.instanceId },
    });
    expect(eni.id).toMatch(/^eni-/);
    expect(eni.status).toBe("available");
    expect(eni.secondaryIps).toHaveLength(2);
    expect(eni.tags["cni.test/owner"]).toBe(world.instanceId);

    const att = await ec2.attachNetworkInterface({
      eniId: eni.id,
      instanceId: world.instanceId,
      deviceIndex: 1,
    });
    expect(att.attachmentId).toMatch(/^eni-attach-/);
    expect(att.networkCardIndex).toBe(0);
    const now = await attached(eni.id);
    expect(now.status).toBe("in-use");
    expect(now.attachment?.instanceId).toBe(world.instanceId);

    await ec2.setDeleteOnTermination({ eniId: eni.id, attachmentId: att.attachmentId, value: true });
    const byInstance = await ec2.describeNetworkInterfaces({ instanceId: world.instanceId });
    expect(byInstance.map((e) => e.id).sort()).toEqual(
      [eni.id, ...(await ec2.describeInstances([world.instanceId]))[0]!.networkInterfaces.map((e) => e.id)]
        .filter((v, i, a) => a.indexOf(v) === i)
        .sort(),
    );
    expect(byInstance.find((e) => e.id === eni.id)?.attachment?.deleteOnTermination).toBe(true);

    const before = (await ec2.describeNetworkInterfaces({ ids: [eni.id] }))[0]!;
    const added = await ec2.assignPrivateIpAddresses({ eniId: eni.id, ipCount: 3 });
    expect(added.ips).toHaveLength(3);
    expect(added.prefixes).toEqual([]);
    for (const ip of added.ips) expect([before.primaryIp, ...before.secondaryIps]).not.toContain(ip);
    const after = (await ec2.describeNetworkInterfaces({ ids: [eni.id] }))[0]!;
    expect(after.secondaryIps.sort()).toEqual([...before.secondaryIps, ...added.ips].sort());

    await ec2.unassignPrivateIpAddresses({ eniId: eni.id, ips: added.ips });
    expect((await ec2.describeNetworkInterfaces({ ids: [eni.id] }))[0]!.secondaryIps.sort()).toEqual(
      before.secondaryIps.sort(),
    );

    await ec2.detachNetworkInterface({ attachmentId: att.attachmentId });
    await until(async () => {
      const [e] = await ec2.describeNetworkInterfaces({ ids: [eni.id] });
      return e?.status === "available" ? e : undefined;
    });
    await ec2.deleteNetworkInterface(eni.id);
    const gone = await ec2.describeNetworkInterfaces({ ids: [eni.id] }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ kind: "not-found" });
  });

  it("filters by tag (value and tag-key) and status", async () => {
    const a = await ec2.createNetworkInterface({
      subnetId: world.subnetId,
      securityGroupIds: [],
      description: "tagged",
      tags: { "cni.test/filter": "a" },
    });
    await ec2.createTags([a.id], { "cni.test/extra": "x" });
    const byValue = await ec2.describeNetworkInterfaces({ tags: { "cni.test/filter": "a" } });
    expect(byValue.map((e) => e.id)).toEqual([a.id]);
    expect(byValue[0]?.tags).toEqual({ "cni.test/filter": "a", "cni.test/extra": "x" });
    const byKey = await ec2.describeNetworkInterfaces({
      tags: { "cni.test/filter": "*" },
      status: "available",
    });
    expect(byKey.map((e) => e.id)).toContain(a.id);
    expect(await ec2.describeNetworkInterfaces({ tags: { "cni.test/filter": "nope" } })).toEqual([]);
    await ec2.deleteNetworkInterface(a.id);
  });
});

describe("pagination", () => {
  it("follows NextToken across pages (page size 5, 12 ENIs)", async (ctx) => {
    const why = missing(target, "pagination");
    if (why) return ctx.skip(why);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const e = await ec2.createNetworkInterface({
        subnetId: world.subnetId,
        securityGroupIds: [],
        description: `page ${i}`,
        tags: { "cni.test/page": "yes" },
      });
      ids.push(e.id);
    }
    const callsBefore = records.filter((r) => r.action === "DescribeNetworkInterfaces").length;
    const found = await ec2.describeNetworkInterfaces({ tags: { "cni.test/page": "yes" } });
    const pages = records.filter((r) => r.action === "DescribeNetworkInterfaces").length - callsBefore;
    expect(found.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(pages).toBe(3);
    for (const id of ids) await ec2.deleteNetworkInterface(id);
  });
});

describe("prefix delegation", () => {
  it("assigns, describes and unassigns /28 prefixes on a Nitro instance", async (ctx) => {
    const why = missing(target, "prefixes");
    if (why) return ctx.skip(why);
    const eni = await ec2.createNetworkInterface({
      subnetId: world.subnetId,
      securityGroupIds: [],
      description: "prefixes",
      prefixCount: 1,
      tags: {},
    });
    expect(eni.prefixes).toHaveLength(1);
    const att = await ec2.attachNetworkInterface({
      eniId: eni.id,
      instanceId: world.instanceId,
      deviceIndex: 2,
    });
    await attached(eni.id);
    const added = await ec2.assignPrivateIpAddresses({ eniId: eni.id, prefixCount: 2 });
    expect(added.ips).toEqual([]);
    expect(added.prefixes).toHaveLength(2);
    for (const p of [...eni.prefixes, ...added.prefixes]) {
      expect(p).toMatch(/\/28$/);
      expect(Number(p.split("/")[0]!.split(".")[3]) % 16).toBe(0);
    }
    const now = (await ec2.describeNetworkInterfaces({ ids: [eni.id] }))[0]!;
    expect(now.prefixes.sort()).toEqual([...eni.prefixes, ...added.prefixes].sort());
    await ec2.unassignPrivateIpAddresses({ eniId: eni.id, prefixes: added.prefixes });
    expect((await ec2.describeNetworkInterfaces({ ids: [eni.id] }))[0]!.prefixes).toEqual(eni.prefixes);
    await ec2.detachNetworkInterface({ attachmentId: att.attachmentId, force: true });
  });
});

describe("instance types", () => {
  it("DescribeInstanceTypes through the facade feeds resolveInstanceType", async (ctx) => {
    const [t] = await ec2.describeInstanceTypes(["m5.large"]);
    if (!t || t.maxEnis === 0) return ctx.skip(`[${target.kind}] DescribeInstanceTypes has no network info`);
    expect(t).toMatchObject({ instanceType: "m5.large", maxEnis: 3, ipv4PerEni: 10, hypervisor: "nitro" });
    clearInstanceTypeCache();
    // Table first; the background DescribeInstanceTypes then replaces the entry.
    expect((await resolveInstanceType(ec2, "m5.large")).source).toBe("table");
    expect((await refreshInstanceType(ec2, "m5.large")).source).toBe("ec2");
    expect((await resolveInstanceType(ec2, "m5.large")).source).toBe("ec2");
  });

  it("an unknown type is kind invalid", async () => {
    const err = await ec2.describeInstanceTypes(["zz9.plural"]).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "invalid", code: "InvalidInstanceType" });
  });
});
