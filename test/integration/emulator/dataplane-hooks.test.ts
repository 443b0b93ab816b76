// The emulator drives the data plane's hooks (awaited) for bound instances.
// The data plane here is a recording fake: it is the unit's collaborator.

import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DataPlane, DataPlaneEni } from "../../../cloud/emulator/dataplane/types.ts";
import { type Harness, smallWorld, startHarness } from "./harness.ts";

class RecordingDataPlane implements DataPlane {
  readonly calls: string[] = [];
  /** Status of the ENI as EC2 reported it while the hook ran (must not be "attached" yet). */
  statusDuringAttach: string | undefined;
  describe: ((id: string) => Promise<string | undefined>) | undefined;
  async bindInstance(instanceId: string, netnsName: string, enis: DataPlaneEni[]) {
    this.calls.push(`bind ${instanceId} ${netnsName} ${enis.map((e) => e.deviceIndex).join(",")}`);
  }
  async eniAttached(eni: DataPlaneEni) {
    await new Promise((r) => setTimeout(r, 20)); // slow hook: EC2 must wait for it
    this.statusDuringAttach = await this.describe?.(eni.eniId);
    this.calls.push(`attached ${eni.eniId} dev${eni.deviceIndex} gw ${eni.subnetGateway}`);
  }
  async eniDetached(eniId: string) {
    this.calls.push(`detached ${eniId}`);
  }
  async addressesChanged(eni: DataPlaneEni) {
    this.calls.push(`addresses ${eni.eniId} ${eni.secondaryIps.length}+${eni.prefixes.length}`);
  }
  async close() {
    this.calls.push("close");
  }
}

describe("data plane hooks", () => {
  let h: Harness;
  const dp = new RecordingDataPlane();
  beforeAll(async () => {
    h = await startHarness({ dataPlane: dp });
    dp.describe = async (id) =>
      (await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
        .NetworkInterfaces![0]!.Attachment?.Status;
  });
  afterAll(() => h.close());

  it("binds, then reports attach (before EC2 says attached), address changes, detach and terminate", async () => {
    const w = smallWorld(h.emu);
    const inst = w.instanceIds[0]!;
    await h.emu.admin.bindInstance(inst, "ns-test");
    expect(dp.calls).toEqual([`bind ${inst} ns-test 0`]);
    await expect(h.emu.admin.bindInstance(inst, "ns-other")).rejects.toThrow(/already bound/);

    const eni = (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: w.subnetIds[0]! })))
      .NetworkInterface!;
    const id = eni.NetworkInterfaceId!;
    await h.ec2.send(
      new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: 1 }),
    );
    const att = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: id, InstanceId: inst, DeviceIndex: 1 }),
    );
    await h.emu.admin.settle();
    expect(dp.statusDuringAttach).toBe("attaching");
    await h.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: id, Ipv4PrefixCount: 1 }));
    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId! }));
    await h.emu.admin.settle();
    const primaryId = h.emu.admin.state().instances.find((i) => i.id === inst)!.networkInterfaces[0]!.id;
    await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst] }));
    expect(dp.calls.slice(1)).toEqual([
      // no "addresses" for the first assign: the ENI was not attached yet
      `attached ${id} dev1 gw 10.0.0.1`,
      `addresses ${id} 1+1`,
      `detached ${id}`,
      `detached ${primaryId}`, // the primary, on terminate
    ]);
    expect(h.emu.admin.state().dataPlaneErrors).toEqual([]);
  });
});
