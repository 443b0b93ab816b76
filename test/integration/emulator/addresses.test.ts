// Address rules through the real SDK: per-ENI limits, subnet exhaustion and
// reserved addresses, explicit addresses, /28 prefix delegation.

import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  UnassignPrivateIpAddressesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCidr, parseIpv4 } from "../../../cloud/emulator/rules/ipv4.ts";
import { codeOf, type Harness, smallWorld, startHarness } from "./harness.ts";

describe("addresses and prefixes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** An ENI attached (and settled) to a fresh instance of `type`. */
  async function attachedEni(type: string) {
    const w = smallWorld(h.emu, [{ type }]);
    const eni = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: w.subnetIds[0]! })))
      .NetworkInterface!;
    await h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId!,
        InstanceId: w.instanceIds[0]!,
        DeviceIndex: 1,
      }),
    );
    await h.emu.admin.settle();
    return { w, eniId: eni.NetworkInterfaceId! };
  }
  const assign = (eniId: string, input: { count?: number; prefixes?: number; ips?: string[] }) =>
    h.ec2.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: eniId,
        ...(input.count ? { SecondaryPrivateIpAddressCount: input.count } : {}),
        ...(input.prefixes ? { Ipv4PrefixCount: input.prefixes } : {}),
        ...(input.ips ? { PrivateIpAddresses: input.ips } : {}),
      }),
    );
  const eni = async (id: string) =>
    (await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
      .NetworkInterfaces![0]!;

  it("assigns up to the per-ENI limit counting the primary (t3.medium: 6), answering only the new ones", async () => {
    const { eniId } = await attachedEni("t3.medium");
    const first = await assign(eniId, { count: 3 });
    expect(first.AssignedPrivateIpAddresses).toHaveLength(3);
    const second = await assign(eniId, { count: 2 });
    expect(second.AssignedPrivateIpAddresses).toHaveLength(2);
    expect(second.AssignedPrivateIpAddresses!.map((a) => a.PrivateIpAddress)).not.toContain(
      first.AssignedPrivateIpAddresses![0]!.PrivateIpAddress,
    );
    expect(await codeOf(assign(eniId, { count: 1 }))).toMatchObject({
      code: "PrivateIpAddressLimitExceeded",
      status: 400,
    });
    expect((await eni(eniId)).PrivateIpAddresses).toHaveLength(6); // nothing half-applied
  });

  it("unassigns secondaries (not the primary, not foreign ones) and reuses them", async () => {
    const { eniId } = await attachedEni("m5.large");
    const got = (await assign(eniId, { count: 2 })).AssignedPrivateIpAddresses!.map(
      (a) => a.PrivateIpAddress!,
    );
    const primary = (await eni(eniId)).PrivateIpAddress!;
    expect(
      (
        await codeOf(
          h.ec2.send(
            new UnassignPrivateIpAddressesCommand({
              NetworkInterfaceId: eniId,
              PrivateIpAddresses: [primary],
            }),
          ),
        )
      ).code,
    ).toBe("InvalidParameterValue");
    expect(
      (
        await codeOf(
          h.ec2.send(
            new UnassignPrivateIpAddressesCommand({
              NetworkInterfaceId: eniId,
              PrivateIpAddresses: ["10.0.0.200"],
            }),
          ),
        )
      ).code,
    ).toBe("InvalidParameterValue");
    await h.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: [got[0]!] }),
    );
    expect((await eni(eniId)).PrivateIpAddresses!.map((p) => p.PrivateIpAddress)).toEqual([primary, got[1]]);
    const explicit = await assign(eniId, { ips: [got[0]!] });
    expect(explicit.AssignedPrivateIpAddresses![0]!.PrivateIpAddress).toBe(got[0]);
    expect((await codeOf(assign(eniId, { ips: [got[0]!] }))).code).toBe("InvalidIPAddress.InUse");
    expect((await codeOf(assign(eniId, { ips: ["10.0.0.1"] }))).code).toBe("InvalidParameterValue"); // reserved
    expect((await codeOf(assign(eniId, { ips: ["10.9.0.9"] }))).code).toBe("InvalidParameterValue"); // outside
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("never hands out the 5 reserved addresses and runs out with InsufficientFreeAddressesInSubnet", async () => {
    const vpcId = h.emu.admin.createVpc("10.5.0.0/16");
    const subnetId = h.emu.admin.createSubnet({ vpcId, cidr: "10.5.0.0/28", availabilityZone: "us-east-1a" });
    const free = async () =>
      (await h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets![0]!
        .AvailableIpAddressCount;
    expect(await free()).toBe(11);
    const created = (
      await h.ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: subnetId, SecondaryPrivateIpAddressCount: 9 }),
      )
    ).NetworkInterface!;
    const ips = created.PrivateIpAddresses!.map((p) => parseIpv4(p.PrivateIpAddress!));
    expect(ips).toHaveLength(10);
    for (const ip of ips) {
      const offset = ip - parseCidr("10.5.0.0/28").base;
      expect(offset).toBeGreaterThanOrEqual(4);
      expect(offset).toBeLessThanOrEqual(14);
    }
    expect(await free()).toBe(1);
    expect(await codeOf(assign(created.NetworkInterfaceId!, { count: 2 }))).toMatchObject({
      code: "InsufficientFreeAddressesInSubnet",
      status: 400,
    });
    expect(await free()).toBe(1); // the failed call took nothing
    await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    expect((await codeOf(h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId })))).code).toBe(
      "InsufficientFreeAddressesInSubnet",
    );
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("delegates aligned /28 prefixes on Nitro, one slot each, and refuses mixing with addresses", async () => {
    const { eniId } = await attachedEni("m5.large"); // 10 slots: primary + 9 prefixes
    const r = await assign(eniId, { prefixes: 9 });
    const prefixes = r.AssignedIpv4Prefixes!.map((p) => p.Ipv4Prefix!);
    expect(prefixes).toHaveLength(9);
    for (const p of prefixes) {
      const c = parseCidr(p); // throws if not aligned
      expect(c.prefixLength).toBe(28);
    }
    expect(new Set(prefixes).size).toBe(9);
    expect((await codeOf(assign(eniId, { prefixes: 1 }))).code).toBe("PrivateIpAddressLimitExceeded");
    await h.ec2.send(
      new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, Ipv4Prefixes: [prefixes[0]!] }),
    );
    expect((await eni(eniId)).Ipv4Prefixes).toHaveLength(8);
    expect((await codeOf(assign(eniId, { count: 1, prefixes: 1 }))).code).toBe("InvalidParameterCombination");
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("refuses prefixes on a non-Nitro instance type (m4.large)", async () => {
    const { eniId } = await attachedEni("m4.large");
    expect(await codeOf(assign(eniId, { prefixes: 1 }))).toMatchObject({
      code: "UnsupportedOperation",
      status: 400,
    });
    expect((await eni(eniId)).Ipv4Prefixes ?? []).toHaveLength(0);
  });

  it("answers InsufficientCidrBlocks when no aligned free /28 is left", async () => {
    const vpcId = h.emu.admin.createVpc("10.6.0.0/16");
    // /26 = four /28 blocks: the first holds .0-.3, the last the broadcast address -> 2 delegable
    const subnetId = h.emu.admin.createSubnet({ vpcId, cidr: "10.6.0.0/26", availabilityZone: "us-east-1a" });
    const created = await h.ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Ipv4PrefixCount: 2 }),
    );
    expect(created.NetworkInterface!.Ipv4Prefixes!.map((p) => p.Ipv4Prefix)).toEqual([
      "10.6.0.16/28",
      "10.6.0.32/28",
    ]);
    expect(
      await codeOf(h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Ipv4PrefixCount: 1 }))),
    ).toMatchObject({
      code: "InsufficientCidrBlocks",
      status: 400,
    });
    // individual addresses are still free in the first and last blocks
    await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("refuses attaching an ENI with more addresses than the instance type allows", async () => {
    const w = smallWorld(h.emu, [{ type: "t3.micro" }]); // 2 per ENI
    const big = (
      await h.ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: w.subnetIds[0]!, SecondaryPrivateIpAddressCount: 3 }),
      )
    ).NetworkInterface!;
    expect(
      (
        await codeOf(
          h.ec2.send(
            new AttachNetworkInterfaceCommand({
              NetworkInterfaceId: big.NetworkInterfaceId!,
              InstanceId: w.instanceIds[0]!,
              DeviceIndex: 1,
            }),
          ),
        )
      ).code,
    ).toBe("PrivateIpAddressLimitExceeded");
  });
});
