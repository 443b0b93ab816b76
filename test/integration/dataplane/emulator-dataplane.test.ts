// The data plane driven by the real emulator through the EC2 API: instances on
// two subnets, a secondary ENI created/attached/assigned/unassigned/detached
// with the SDK, and the interfaces and router routes following each call.
import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  type EC2Client,
  UnassignPrivateIpAddressesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createNetnsDataPlane,
  type NetnsDataPlane,
} from "../../../cloud/emulator/dataplane/netns-dataplane.ts";
import { type Emulator, startEmulator } from "../../../cloud/emulator/index.ts";
import { createVpc, ec2Client, runInstance, type WorldInstance } from "../../harness/world.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { addrs, links, pingLoss, routes, runPrefix } from "./helpers.ts";

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!canUseNetns)("netns VPC data plane driven by the EC2 emulator", () => {
  let dp: NetnsDataPlane;
  let emu: Emulator;
  let ec2: EC2Client;
  let a: TestNetns;
  let b: TestNetns;
  let ia: WorldInstance;
  let ib: WorldInstance;
  let subnetA: string;
  let eniId: string;
  let attachmentId: string;
  let secondary: string[] = [];

  beforeAll(async () => {
    a = createNetns("ema");
    b = createNetns("emb");
    dp = createNetnsDataPlane({ prefix: runPrefix() });
    emu = await startEmulator({ port: 0, timeScale: 0.01, dataPlane: dp, region: "us-west-2" });
    ec2 = ec2Client(emu.endpoint, "us-west-2");
    const { subnets } = await createVpc(ec2, "10.0.0.0/16", ["10.0.1.0/24", "10.0.2.0/24"]);
    subnetA = subnets[0]!.id;
    ia = await runInstance(ec2, {
      instanceType: "m5.large",
      subnetId: subnets[0]!.id,
      name: "a",
      clusterName: "t",
    });
    ib = await runInstance(ec2, {
      instanceType: "m5.large",
      subnetId: subnets[1]!.id,
      name: "b",
      clusterName: "t",
    });
    await emu.admin.bindInstance(ia.instanceId, a.name);
    await emu.admin.bindInstance(ib.instanceId, b.name);
  });

  afterAll(async () => {
    await emu?.close();
    await dp?.close();
    a?.delete();
    b?.delete();
  });

  it("bindInstance configures each primary ENI; primaries reach each other across subnets", () => {
    expect(addrs(a.name, "eth0")).toEqual([`${ia.privateIp}/24`]);
    expect(addrs(b.name, "eth0")).toEqual([`${ib.privateIp}/24`]);
    expect(pingLoss(a.name, ib.privateIp)).toBe(0);
  });

  it("an attached ENI appears bare with its MAC once the attachment is 'attached'", async () => {
    const created = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetA }));
    eniId = created.NetworkInterface!.NetworkInterfaceId!;
    const mac = created.NetworkInterface!.MacAddress!;
    const att = await ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eniId,
        InstanceId: ia.instanceId,
        DeviceIndex: 1,
      }),
    );
    attachmentId = att.AttachmentId!;
    await until("attached", async () => {
      const d = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
      return d.NetworkInterfaces?.[0]?.Attachment?.Status === "attached" ? true : undefined;
    });
    const eth1 = links(a.name).find((l) => l.ifname === "eth1");
    expect(eth1?.address).toBe(mac);
    expect(eth1?.flags).not.toContain("UP");
  });

  it("AssignPrivateIpAddresses makes the router deliver the new IPs to that ENI", async () => {
    const r = await ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, SecondaryPrivateIpAddressCount: 2 }),
    );
    secondary = (r.AssignedPrivateIpAddresses ?? []).map((x) => x.PrivateIpAddress!);
    expect(secondary).toHaveLength(2);
    const rt = routes(dp.routerNetns);
    for (const ip of secondary) expect(rt).toContain(ip);
    // ipamd's job, by hand: the ENI up, the address, policy routing out of eth1.
    const ip0 = secondary[0]!;
    a.exec(["link", "set", "eth1", "up"]);
    a.exec(["addr", "add", `${ip0}/32`, "dev", "eth1"]);
    a.exec(["route", "add", "default", "via", "10.0.1.1", "dev", "eth1", "onlink", "table", "2"]);
    a.exec(["rule", "add", "from", ip0, "lookup", "2"]);
    expect(pingLoss(b.name, ip0, { count: 5 })).toBe(0);
  });

  it("UnassignPrivateIpAddresses stops the delivery", async () => {
    await ec2.send(
      new UnassignPrivateIpAddressesCommand({
        NetworkInterfaceId: eniId,
        PrivateIpAddresses: [secondary[0]!],
      }),
    );
    expect(routes(dp.routerNetns)).not.toContain(secondary[0]);
    expect(routes(dp.routerNetns)).toContain(secondary[1]);
    expect(pingLoss(b.name, secondary[0]!, { count: 1 })).toBe(100);
  });

  it("DetachNetworkInterface removes the interface once 'detached'", async () => {
    await ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId }));
    await until("eth1 gone", async () => (links(a.name).some((l) => l.ifname === "eth1") ? undefined : true));
    expect(routes(dp.routerNetns)).not.toContain(secondary[1]);
  });

  it("no tunnel device anywhere", () => {
    for (const ns of [a.name, b.name, dp.routerNetns]) {
      for (const l of links(ns)) expect([undefined, "veth"]).toContain(l.linkinfo?.info_kind);
    }
  });
});
