// Contract: the IMDS client against the emulator's per-instance IMDSv2,
// before and after an ENI is attached and given addresses and prefixes.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, type Ec2Client } from "../../../cloud/ec2/client.ts";
import { createImdsClient, type ImdsClient } from "../../../cloud/imds/client.ts";
import { missing, openTarget, type Target, until, type World } from "./target.ts";

let target: Target;
let ec2: Ec2Client;
let world: World;
let imds: ImdsClient;

beforeAll(async () => {
  target = await openTarget();
  if (missing(target, "imds")) return;
  ec2 = createEc2Client({ endpoint: target.endpoint, region: target.region, rateLimits: { fraction: 1 } });
  world = await target.world({ subnetMask: 24, instanceType: "m5.large" });
  imds = createImdsClient({ endpoint: target.emulator!.imdsEndpointFor(world.instanceId) });
});
afterAll(async () => {
  ec2?.close();
  await target?.close();
});

describe("IMDS", () => {
  it("identity matches DescribeInstances", async (ctx) => {
    const why = missing(target, "imds");
    if (why) return ctx.skip(why);
    const [inst] = await ec2.describeInstances([world.instanceId]);
    const id = await imds.identity();
    expect(id).toEqual({
      instanceId: world.instanceId,
      instanceType: "m5.large",
      availabilityZone: inst!.availabilityZone,
      region: target.region,
      primaryMac: inst!.networkInterfaces[0]!.macAddress,
    });
  });

  it("network/interfaces tree before and after attach, addresses and prefixes", async (ctx) => {
    const why = missing(target, "imds");
    if (why) return ctx.skip(why);
    const [inst] = await ec2.describeInstances([world.instanceId]);
    const primary = inst!.networkInterfaces[0]!;
    const before = await imds.enis();
    expect(before).toHaveLength(1);
    expect(before[0]).toMatchObject({
      mac: primary.macAddress,
      deviceNumber: 0,
      networkCard: 0,
      interfaceId: primary.id,
      subnetId: world.subnetId,
      localIpv4s: [primary.primaryIp],
      ipv4Prefixes: [],
    });
    expect(before[0]?.subnetCidr).toMatch(/\/24$/);
    expect(before[0]?.vpcCidrs).toHaveLength(1);

    const eni = await ec2.createNetworkInterface({
      subnetId: world.subnetId,
      securityGroupIds: [],
      description: "imds",
      secondaryIpCount: 2,
      tags: {},
    });
    await ec2.attachNetworkInterface({ eniId: eni.id, instanceId: world.instanceId, deviceIndex: 1 });
    const prefixEni = await ec2.createNetworkInterface({
      subnetId: world.subnetId,
      securityGroupIds: [],
      description: "imds-prefix",
      prefixCount: 2,
      tags: {},
    });
    await ec2.attachNetworkInterface({ eniId: prefixEni.id, instanceId: world.instanceId, deviceIndex: 2 });

    // IMDS shows an ENI once its attachment settled (eventual consistency, as on AWS).
    const after = await until(async () => {
      const list = await imds.enis();
      return list.length === 3 ? list : undefined;
    });
    expect(after.map((e) => e.deviceNumber)).toEqual([0, 1, 2]);
    expect(after[1]).toMatchObject({
      mac: eni.macAddress,
      interfaceId: eni.id,
      localIpv4s: [eni.primaryIp, ...eni.secondaryIps],
      ipv4Prefixes: [],
    });
    expect(after[2]?.ipv4Prefixes.sort()).toEqual([...prefixEni.prefixes].sort());

    const added = await ec2.assignPrivateIpAddresses({ eniId: eni.id, ipCount: 1 });
    const refreshed = await until(async () => {
      const e = (await imds.enis()).find((x) => x.interfaceId === eni.id);
      return e?.localIpv4s.includes(added.ips[0]!) ? e : undefined;
    });
    expect(refreshed.localIpv4s).toHaveLength(4);
  });
});
