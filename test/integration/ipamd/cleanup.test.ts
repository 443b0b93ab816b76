// The leak cleaner against the emulator through our EC2 facade (real SDK,
// real HTTP): only this cluster's old, detached, CNI-created ENIs go.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEc2Client, type Ec2Client } from "../../../cloud/ec2/client.ts";
import { type Emulator, startEmulator } from "../../../cloud/emulator/index.ts";
import { LeakedEniCleaner } from "../../../ipamd/cleanup/loop.ts";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from "../../../ipamd/executor/tags.ts";
import { silentLogger } from "../../../ipamd/log.ts";

describe("leaked-ENI cleanup against the emulator", () => {
  let emu: Emulator;
  let ec2: Ec2Client;
  let subnetId: string;
  let instanceId: string;

  beforeAll(async () => {
    emu = await startEmulator({ timeScale: 0 });
    const w = emu.admin.buildWorld({
      vpcCidr: "10.0.0.0/16",
      subnets: [{ cidr: "10.0.1.0/24" }],
      instances: [{ subnet: 0, instanceType: "m5.large" }],
    });
    subnetId = w.subnetIds[0]!;
    instanceId = w.instanceIds[0]!;
    ec2 = createEc2Client({ endpoint: emu.endpoint, region: "us-east-1", rateLimits: false });
  });
  afterAll(async () => {
    ec2?.close();
    await emu?.close();
  });

  const mk = (tags: Record<string, string>) =>
    ec2.createNetworkInterface({ subnetId, securityGroupIds: [], description: "t", tags });

  it("deletes only this cluster's detached CNI ENIs older than the delay", async () => {
    const old = "2020-01-01T00:00:00Z";
    const fresh = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const ours = { [TAG_CLUSTER_NAME]: "prod", [TAG_INSTANCE_ID]: "i-x" };
    const leaked = await mk({ ...ours, [TAG_CREATED_AT]: old });
    const young = await mk({ ...ours, [TAG_CREATED_AT]: fresh });
    const otherCluster = await mk({ ...ours, [TAG_CLUSTER_NAME]: "staging", [TAG_CREATED_AT]: old });
    const untagged = await mk({});
    const attached = await mk({ ...ours, [TAG_CREATED_AT]: old });
    await ec2.attachNetworkInterface({ eniId: attached.id, instanceId, deviceIndex: 1 });

    const deleted: string[] = [];
    const cleaner = new LeakedEniCleaner({
      ec2,
      clusterName: "prod",
      delayMs: 600_000,
      intervalMs: 1_000_000,
      log: silentLogger(),
      onDeleted: (id) => deleted.push(id),
    });
    expect(await cleaner.runOnce()).toEqual([leaked.id]);
    expect(deleted).toEqual([leaked.id]);
    const left = new Set((await ec2.describeNetworkInterfaces({})).map((e) => e.id));
    expect(left.has(leaked.id)).toBe(false);
    for (const e of [young, otherCluster, untagged, attached]) expect(left.has(e.id)).toBe(true);
    // a second pass finds nothing more
    expect(await cleaner.runOnce()).toEqual([]);
  });
});
