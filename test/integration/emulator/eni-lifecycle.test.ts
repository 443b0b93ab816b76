// ENI life cycle and attachment rules through the real SDK.

import {
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  ModifyNetworkInterfaceAttributeCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf, type Harness, smallWorld, startHarness } from "./harness.ts";

describe("ENI life cycle", () => {
  let h: Harness;
  // Attach/detach take 2 s on AWS; at this scale 100 ms, long enough to observe the transition.
  beforeAll(async () => {
    h = await startHarness({ timeScale: 0.05 });
  });
  afterAll(() => h.close());

  const createEni = async (subnetId: string) =>
    (await h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }))).NetworkInterface!
      .NetworkInterfaceId!;
  const describeEni = async (id: string) =>
    (await h.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] })))
      .NetworkInterfaces![0]!;

  it("goes available -> attaching -> in-use/attached -> detaching -> available, and deletes", async () => {
    const w = smallWorld(h.emu);
    const eniId = await createEni(w.subnetIds[0]!);
    expect((await describeEni(eniId)).Status).toBe("available");
    const att = await h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eniId,
        InstanceId: w.instanceIds[0]!,
        DeviceIndex: 1,
      }),
    );
    expect(att.AttachmentId).toMatch(/^eni-attach-[0-9a-f]{17}$/);
    expect(att.NetworkCardIndex).toBe(0);
    const during = await describeEni(eniId);
    expect(during.Attachment?.Status).toBe("attaching");
    expect(
      await codeOf(h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }))),
    ).toMatchObject({
      code: "InvalidNetworkInterface.InUse",
      status: 400,
    });
    await h.emu.admin.settle();
    const after = await describeEni(eniId);
    expect(after.Status).toBe("in-use");
    expect(after.Attachment).toMatchObject({
      Status: "attached",
      InstanceId: w.instanceIds[0],
      DeviceIndex: 1,
    });

    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId! }));
    expect((await describeEni(eniId)).Status).toBe("detaching");
    await h.emu.admin.settle();
    const detached = await describeEni(eniId);
    expect(detached.Status).toBe("available");
    expect(detached.Attachment).toBeUndefined();
    await h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eniId }));
    expect(await codeOf(describeEni(eniId))).toMatchObject({ code: "InvalidNetworkInterfaceID.NotFound" });
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("enforces device index, AZ and the per-type ENI limit (m5.large: 3)", async () => {
    const w = smallWorld(h.emu);
    const inst = w.instanceIds[0]!;
    const attach = (eni: string, idx: number) =>
      h.ec2.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: inst, DeviceIndex: idx }),
      );
    const e1 = await createEni(w.subnetIds[0]!);
    const inOtherAz = await createEni(w.subnetIds[1]!);
    const taken = await codeOf(attach(e1, 0));
    expect(taken.code).toBe("InvalidParameterValue");
    expect(taken.message).toMatch(/already has an interface attached at device index '0'/);
    expect((await codeOf(attach(inOtherAz, 1))).code).toBe("InvalidParameterValue");
    await attach(e1, 1);
    expect((await codeOf(attach(e1, 2))).code).toBe("InvalidParameterValue"); // already in use
    await attach(await createEni(w.subnetIds[0]!), 2);
    expect(await codeOf(attach(await createEni(w.subnetIds[0]!), 3))).toMatchObject({
      code: "AttachmentLimitExceeded",
      status: 400,
    });
    await h.emu.admin.settle();
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });

  it("a detach that overtakes a pending attach wins: the ENI ends available", async () => {
    const w = smallWorld(h.emu);
    const eniId = await createEni(w.subnetIds[0]!);
    const att = await h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eniId,
        InstanceId: w.instanceIds[0]!,
        DeviceIndex: 1,
      }),
    );
    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId! }));
    expect(
      (await codeOf(h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId! })))).code,
    ).toBe("IncorrectState");
    await h.emu.admin.settle();
    const e = await describeEni(eniId);
    expect(e.Status).toBe("available");
    expect(e.Attachment).toBeUndefined();
  });

  it("answers AWS NotFound / Malformed codes", async () => {
    const w = smallWorld(h.emu);
    const cases: [Promise<unknown>, string][] = [
      [describeEni("eni-0123456789abcdef0"), "InvalidNetworkInterfaceID.NotFound"],
      [describeEni("nope"), "InvalidNetworkInterfaceID.Malformed"],
      [
        h.ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })),
        "InvalidInstanceID.NotFound",
      ],
      [createEni("subnet-0123456789abcdef0"), "InvalidSubnetID.NotFound"],
      [
        h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: "eni-attach-0123456789abcdef0" })),
        "InvalidAttachmentID.NotFound",
      ],
      [
        h.ec2.send(
          new AttachNetworkInterfaceCommand({
            NetworkInterfaceId: "eni-0123456789abcdef0",
            InstanceId: w.instanceIds[0]!,
            DeviceIndex: 1,
          }),
        ),
        "InvalidNetworkInterfaceID.NotFound",
      ],
    ];
    for (const [call, code] of cases) expect(await codeOf(call)).toMatchObject({ code, status: 400 });
  });

  it("refuses to detach the primary ENI", async () => {
    const w = smallWorld(h.emu);
    const primary = (await h.ec2.send(new DescribeInstancesCommand({ InstanceIds: w.instanceIds })))
      .Reservations![0]!.Instances![0]!.NetworkInterfaces![0]!;
    expect(primary.Attachment).toMatchObject({
      DeviceIndex: 0,
      DeleteOnTermination: true,
      Status: "attached",
    });
    expect(
      (
        await codeOf(
          h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: primary.Attachment!.AttachmentId! })),
        )
      ).code,
    ).toBe("OperationNotPermitted");
  });

  it("on terminate deletes DeleteOnTermination ENIs and leaks the others as available", async () => {
    const w = smallWorld(h.emu);
    const inst = w.instanceIds[0]!;
    const kept = await createEni(w.subnetIds[0]!);
    const deleted = await createEni(w.subnetIds[0]!);
    const a1 = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: kept, InstanceId: inst, DeviceIndex: 1 }),
    );
    const a2 = await h.ec2.send(
      new AttachNetworkInterfaceCommand({ NetworkInterfaceId: deleted, InstanceId: inst, DeviceIndex: 2 }),
    );
    await h.emu.admin.settle();
    expect((await describeEni(kept)).Attachment?.DeleteOnTermination).toBe(false);
    await h.ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({
        NetworkInterfaceId: deleted,
        Attachment: { AttachmentId: a2.AttachmentId!, DeleteOnTermination: true },
      }),
    );
    expect(
      (
        await codeOf(
          h.ec2.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: deleted,
              Attachment: { AttachmentId: a1.AttachmentId!, DeleteOnTermination: true },
            }),
          ),
        )
      ).code,
    ).toBe("InvalidAttachmentID.NotFound");
    const primaryId = (await describeEni(kept)).Attachment!.InstanceId!;
    expect(primaryId).toBe(inst);

    const t = await h.ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst] }));
    expect(t.TerminatingInstances![0]).toMatchObject({
      CurrentState: { Name: "terminated" },
      PreviousState: { Name: "running" },
    });
    const leaked = await describeEni(kept);
    expect(leaked.Status).toBe("available");
    expect(leaked.Attachment).toBeUndefined();
    expect((await codeOf(describeEni(deleted))).code).toBe("InvalidNetworkInterfaceID.NotFound");
    const left = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [w.subnetIds[0]!] }] }),
    );
    expect(left.NetworkInterfaces!.map((e) => e.NetworkInterfaceId)).toEqual([kept]); // primary deleted too
    const attachToDead = await codeOf(
      h.ec2.send(
        new AttachNetworkInterfaceCommand({ NetworkInterfaceId: kept, InstanceId: inst, DeviceIndex: 1 }),
      ),
    );
    expect(attachToDead.code).toBe("IncorrectInstanceState");
    expect(h.emu.admin.checkInvariants()).toEqual([]);
  });
});
