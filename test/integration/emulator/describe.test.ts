// Describe* through the real SDK: filters, tags, pagination (also with the
// SDK's own paginator), DryRun, instance types.

import {
  CreateNetworkInterfaceCommand,
  CreateTagsCommand,
  DeleteNetworkInterfaceCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcsCommand,
  paginateDescribeNetworkInterfaces,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";
import { codeOf, type Harness, smallWorld, startHarness } from "./harness.ts";

describe("Describe*, tags, DryRun", () => {
  let h: Harness;
  let subnetId: string;
  let vpcId: string;
  const created: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    const w = smallWorld(h.emu);
    subnetId = w.subnetIds[0]!;
    vpcId = w.vpcId;
    for (let i = 0; i < 12; i++) {
      const r = await h.ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: subnetId,
          Description: `eni ${i}`,
          TagSpecifications: [
            { ResourceType: "network-interface", Tags: [{ Key: "parity", Value: i % 2 ? "odd" : "even" }] },
          ],
        }),
      );
      created.push(r.NetworkInterface!.NetworkInterfaceId!);
    }
  });
  afterAll(() => h.close());

  it("pages with MaxResults/NextToken, every ENI once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await h.ec2.send(
        new DescribeNetworkInterfacesCommand({
          Filters: [{ Name: "status", Values: ["available"] }],
          MaxResults: 5,
          NextToken: token,
        }),
      );
      expect(r.NetworkInterfaces!.length).toBeLessThanOrEqual(5);
      seen.push(...r.NetworkInterfaces!.map((e) => e.NetworkInterfaceId!));
      token = r.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...created].sort());
    const viaPaginator: string[] = [];
    for await (const page of paginateDescribeNetworkInterfaces(
      { client: h.ec2, pageSize: 5 },
      { Filters: [{ Name: "status", Values: ["available"] }] },
    )) {
      viaPaginator.push(...page.NetworkInterfaces!.map((e) => e.NetworkInterfaceId!));
    }
    expect(viaPaginator.sort()).toEqual([...created].sort());
    expect((await codeOf(h.ec2.send(new DescribeNetworkInterfacesCommand({ MaxResults: 4 })))).code).toBe(
      "InvalidParameterValue",
    );
    expect(
      (await codeOf(h.ec2.send(new DescribeNetworkInterfacesCommand({ NextToken: "bogus" })))).code,
    ).toBe("InvalidPaginationToken");
  });

  it("filters by tag, tag-key, subnet, vpc, AZ, attachment.instance-id, status; refuses unknown filters", async () => {
    const ids = async (Filters: { Name: string; Values: string[] }[]) =>
      ((await h.ec2.send(new DescribeNetworkInterfacesCommand({ Filters }))).NetworkInterfaces ?? []).map(
        (e) => e.NetworkInterfaceId!,
      );
    expect(await ids([{ Name: "tag:parity", Values: ["odd"] }])).toHaveLength(6);
    expect(await ids([{ Name: "tag-key", Values: ["parity"] }])).toHaveLength(12);
    expect(await ids([{ Name: "subnet-id", Values: [subnetId] }])).toHaveLength(13); // + the primary ENI
    expect(await ids([{ Name: "vpc-id", Values: [vpcId] }])).toHaveLength(13);
    expect(
      await ids([
        { Name: "availability-zone", Values: ["us-east-1b"] },
        { Name: "vpc-id", Values: [vpcId] },
      ]),
    ).toHaveLength(0);
    expect(await ids([{ Name: "network-interface-id", Values: [created[0]!, created[1]!] }])).toHaveLength(2);
    const inst = (
      await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))
    ).Reservations![0]!.Instances![0]!;
    expect(await ids([{ Name: "attachment.instance-id", Values: [inst.InstanceId!] }])).toEqual([
      inst.NetworkInterfaces![0]!.NetworkInterfaceId,
    ]);
    expect(
      await ids([
        { Name: "status", Values: ["in-use"] },
        { Name: "vpc-id", Values: [vpcId] },
      ]),
    ).toHaveLength(1);
    expect((await codeOf(ids([{ Name: "no-such-filter", Values: ["x"] }]))).code).toBe(
      "InvalidParameterValue",
    );
  });

  it("CreateTags tags ENIs and instances; a bad id tags nothing", async () => {
    await h.ec2.send(
      new CreateTagsCommand({ Resources: [created[0]!], Tags: [{ Key: "owner", Value: "ipamd" }] }),
    );
    const r = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: "tag:owner", Values: ["ipamd"] }] }),
    );
    expect(r.NetworkInterfaces!.map((e) => e.NetworkInterfaceId)).toEqual([created[0]]);
    expect(r.NetworkInterfaces![0]!.TagSet).toContainEqual({ Key: "owner", Value: "ipamd" });
    const bad = await codeOf(
      h.ec2.send(
        new CreateTagsCommand({
          Resources: [created[1]!, "eni-0123456789abcdef0"],
          Tags: [{ Key: "owner", Value: "x" }],
        }),
      ),
    );
    expect(bad.code).toBe("InvalidNetworkInterfaceID.NotFound");
    const after = await h.ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [created[1]!] }),
    );
    expect(after.NetworkInterfaces![0]!.TagSet!.map((t) => t.Key)).not.toContain("owner");
  });

  it("DryRun answers DryRunOperation 412 and changes nothing", async () => {
    const before = h.emu.admin.state().enis.length;
    expect(
      await codeOf(h.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, DryRun: true }))),
    ).toMatchObject({
      code: "DryRunOperation",
      status: 412,
    });
    expect(
      (
        await codeOf(
          h.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: created[2]!, DryRun: true })),
        )
      ).code,
    ).toBe("DryRunOperation");
    expect(h.emu.admin.state().enis.length).toBe(before);
  });

  it("DescribeInstanceTypes mirrors the limits table; unknown types are refused", async () => {
    const r = await h.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["m5.large", "m4.large"] }));
    const byType = Object.fromEntries(r.InstanceTypes!.map((t) => [t.InstanceType, t]));
    expect(byType["m5.large"]!.NetworkInfo).toMatchObject({
      MaximumNetworkInterfaces: INSTANCE_TYPES["m5.large"]!.maxEnis,
      Ipv4AddressesPerInterface: INSTANCE_TYPES["m5.large"]!.ipv4PerEni,
      NetworkCards: [{ NetworkCardIndex: 0, MaximumNetworkInterfaces: 3 }],
    });
    expect(byType["m4.large"]!.Hypervisor).toBe("xen");
    expect(byType["m5.large"]!.Hypervisor).toBe("nitro");
    expect(
      (await codeOf(h.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ["x9.huge" as never] }))))
        .code,
    ).toBe("InvalidInstanceType");
    const run = await codeOf(
      h.ec2.send(
        new RunInstancesCommand({
          ImageId: "ami-1",
          MinCount: 1,
          MaxCount: 1,
          InstanceType: "x9.huge" as never,
          SubnetId: subnetId,
        }),
      ),
    );
    expect(run.code).toBe("InvalidParameterValue");
  });

  it("DescribeVpcs and DescribeInstances with MaxResults + ids refused like AWS", async () => {
    const v = await h.ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    expect(v.Vpcs![0]).toMatchObject({ VpcId: vpcId, CidrBlock: "10.0.0.0/16" });
    const i = (
      await h.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }))
    ).Reservations![0]!.Instances![0]!.InstanceId!;
    expect(
      (await codeOf(h.ec2.send(new DescribeInstancesCommand({ InstanceIds: [i], MaxResults: 5 })))).code,
    ).toBe("InvalidParameterCombination");
  });
});
