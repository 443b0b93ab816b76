import { describe, expect, it } from "vitest";
import type { NetworkInterface } from "../../../cloud/ec2/types.ts";
import { judgeEni, selectLeakedEnis } from "../../../ipamd/cleanup/select.ts";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from "../../../ipamd/executor/tags.ts";

const NOW = Date.parse("2026-11-22T12:00:00Z");
const policy = { clusterName: "prod", nowMs: NOW, delayMs: 600_000 };

function eni(over: Partial<NetworkInterface> & { tags?: Record<string, string> } = {}): NetworkInterface {
  return {
    id: "eni-1",
    subnetId: "subnet-1",
    vpcId: "vpc-1",
    availabilityZone: "us-east-1a",
    macAddress: "02:00:00:00:00:01",
    status: "available",
    description: "aws-K8S-i-1",
    primaryIp: "10.0.0.10",
    secondaryIps: [],
    prefixes: [],
    securityGroupIds: [],
    tags: { [TAG_CLUSTER_NAME]: "prod", [TAG_INSTANCE_ID]: "i-1", [TAG_CREATED_AT]: "2026-11-22T11:00:00Z" },
    ...over,
  };
}

describe("leaked-ENI selection", () => {
  const attached = {
    attachmentId: "a",
    instanceId: "i-1",
    deviceIndex: 1,
    networkCardIndex: 0,
    status: "attached" as const,
    deleteOnTermination: true,
  };
  it.each<[string, NetworkInterface, boolean]>([
    ["old, detached, this cluster's", eni(), true],
    [
      "exactly at the delay",
      eni({ tags: { ...eni().tags, [TAG_CREATED_AT]: "2026-11-22T11:50:00Z" } }),
      true,
    ],
    [
      "younger than the delay",
      eni({ tags: { ...eni().tags, [TAG_CREATED_AT]: "2026-11-22T11:55:00Z" } }),
      false,
    ],
    ["another cluster's", eni({ tags: { ...eni().tags, [TAG_CLUSTER_NAME]: "staging" } }), false],
    ["untagged", eni({ tags: {} }), false],
    [
      "no instance-id tag",
      eni({ tags: { [TAG_CLUSTER_NAME]: "prod", [TAG_CREATED_AT]: "2026-11-22T11:00:00Z" } }),
      false,
    ],
    ["no createdAt", eni({ tags: { [TAG_CLUSTER_NAME]: "prod", [TAG_INSTANCE_ID]: "i-1" } }), false],
    ["garbage createdAt", eni({ tags: { ...eni().tags, [TAG_CREATED_AT]: "yesterday" } }), false],
    ["in use", eni({ status: "in-use", attachment: attached }), false],
    ["attaching", eni({ status: "attaching" }), false],
    [
      "available but with an attachment record",
      eni({ attachment: { ...attached, status: "detaching" } }),
      false,
    ],
  ])("%s -> delete=%s", (_name, e, expected) => {
    expect(judgeEni(e, policy).delete).toBe(expected);
  });

  it("touches nothing when no cluster name is configured", () => {
    expect(
      selectLeakedEnis([eni({ tags: { ...eni().tags, [TAG_CLUSTER_NAME]: "" } })], {
        ...policy,
        clusterName: "",
      }),
    ).toEqual([]);
  });

  it("returns only the deletable ids, in order", () => {
    const list = [eni({ id: "eni-a" }), eni({ id: "eni-b", tags: {} }), eni({ id: "eni-c" })];
    expect(selectLeakedEnis(list, policy)).toEqual(["eni-a", "eni-c"]);
  });
});
