// The soak's pure invariant checks fail when they should (and only then).
import { describe, expect, it } from "vitest";
import type { NetworkInterface } from "../../../cloud/ec2/types.ts";
import { TAG_CLUSTER_NAME, TAG_CREATED_AT, TAG_INSTANCE_ID } from "../../../ipamd/executor/tags.ts";
import { earlyDeletionViolations, leakedEniViolations } from "../../soak/leaks.ts";
import { leftoverViolations } from "../../soak/netns-view.ts";
import { namespaceViolations, ownershipViolations } from "../../soak/ownership.ts";

const eni = (
  id: string,
  instanceId: string | undefined,
  ips: string[],
  extra: Partial<NetworkInterface> = {},
) =>
  ({
    id,
    subnetId: "subnet-1",
    vpcId: "vpc-1",
    availabilityZone: "us-west-2a",
    macAddress: "02:00:00:00:00:01",
    status: instanceId ? "in-use" : "available",
    description: "",
    primaryIp: "10.0.1.4",
    secondaryIps: ips,
    prefixes: [],
    securityGroupIds: [],
    tags: {},
    ...(instanceId
      ? {
          attachment: {
            attachmentId: `att-${id}`,
            instanceId,
            deviceIndex: 1,
            status: "attached",
            deleteOnTermination: true,
          },
        }
      : {}),
    ...extra,
  }) as NetworkInterface;

const nodes = new Map([
  ["a", "i-a"],
  ["b", "i-b"],
]);

describe("ownershipViolations", () => {
  const enis = [
    eni("eni-a", "i-a", ["10.0.1.10", "10.0.1.11"]),
    eni("eni-b", "i-b", ["10.0.2.10"], { prefixes: ["10.0.2.16/28"] }),
  ];
  it("passes a consistent world", () => {
    expect(
      ownershipViolations(
        enis,
        [
          { name: "p1", node: "a", ip: "10.0.1.10" },
          { name: "p2", node: "b", ip: "10.0.2.20" },
        ],
        nodes,
      ),
    ).toEqual([]);
  });
  it("reports one address held by two live pods, even if excused", () => {
    const pods = [
      { name: "p1", node: "a", ip: "10.0.1.10" },
      { name: "p2", node: "a", ip: "10.0.1.10" },
    ];
    expect(ownershipViolations(enis, pods, nodes, new Set(["p1", "p2"]))).toHaveLength(1);
  });
  it("reports an address no ENI holds, and one on another node's ENI", () => {
    expect(ownershipViolations(enis, [{ name: "p", node: "a", ip: "10.0.1.99" }], nodes)[0]).toMatch(
      /no ENI/,
    );
    expect(ownershipViolations(enis, [{ name: "p", node: "a", ip: "10.0.2.10" }], nodes)[0]).toMatch(
      /not i-a/,
    );
  });
  it("reports an address on a detached ENI unless the pod is a fault's casualty", () => {
    const detached = [eni("eni-x", undefined, ["10.0.1.10"])];
    const pods = [{ name: "p", node: "a", ip: "10.0.1.10" }];
    expect(ownershipViolations(detached, pods, nodes)).toHaveLength(1);
    expect(ownershipViolations(detached, pods, nodes, new Set(["p"]))).toEqual([]);
  });
});

describe("namespaceViolations", () => {
  it("reports a wrong address and an address in two namespaces", () => {
    expect(namespaceViolations([{ pod: "p", ip: "10.0.1.1", addrs: ["10.0.1.1"] }])).toEqual([]);
    expect(namespaceViolations([{ pod: "p", ip: "10.0.1.1", addrs: [] }])).toHaveLength(1);
    expect(
      namespaceViolations([
        { pod: "p", ip: "10.0.1.1", addrs: ["10.0.1.1"] },
        { pod: "q", ip: "10.0.1.2", addrs: ["10.0.1.2", "10.0.1.1"] },
      ]).some((v) => v.includes("two pod namespaces")),
    ).toBe(true);
  });
});

describe("leak checks", () => {
  const ours = {
    [TAG_CLUSTER_NAME]: "c1",
    [TAG_INSTANCE_ID]: "i-x",
    [TAG_CREATED_AT]: "2026-01-01T00:00:00Z",
  };
  it("a detached ENI of this cluster is a leak; a decoy must still exist", () => {
    const left = eni("eni-l", undefined, [], { tags: ours });
    expect(leakedEniViolations([left], "c1", new Set())).toHaveLength(1);
    expect(
      leakedEniViolations(
        [eni("eni-l", undefined, [], { tags: { ...ours, [TAG_CLUSTER_NAME]: "c2" } })],
        "c1",
        new Set(),
      ),
    ).toEqual([]);
    expect(leakedEniViolations([], "c1", new Set(["eni-decoy"]))[0]).toMatch(/decoy/);
  });
  it("deletion before the safety delay is reported", () => {
    const e = eni("eni-l", undefined, [], { tags: ours });
    const created = Date.parse("2026-01-01T00:00:00Z");
    expect(earlyDeletionViolations([{ eni: e, deletedAtMs: created + 61_000 }], 60_000)).toEqual([]);
    expect(earlyDeletionViolations([{ eni: e, deletedAtMs: created + 30_000 }], 60_000)).toHaveLength(1);
  });
});

describe("leftoverViolations", () => {
  it("reports pod veths, rules and routes naming pod addresses", () => {
    const ips = new Set(["10.0.1.10"]);
    const clean = {
      links: [{ ifname: "eth0" }],
      rules: [{ src: "all", table: "main" }],
      routes: [{ dst: "default" }],
    };
    expect(leftoverViolations("a", clean, "eni", ips)).toEqual([]);
    expect(
      leftoverViolations("a", { ...clean, links: [{ ifname: "eni0123456789a" }] }, "eni", ips),
    ).toHaveLength(1);
    expect(
      leftoverViolations("a", { ...clean, rules: [{ src: "10.0.1.10", table: "2" }] }, "eni", ips),
    ).toHaveLength(1);
    expect(
      leftoverViolations("a", { ...clean, rules: [{ dst: "10.0.1.10", table: "main" }] }, "eni", ips),
    ).toHaveLength(1);
    expect(
      leftoverViolations("a", { ...clean, routes: [{ dst: "10.0.1.10", table: "main" }] }, "eni", ips),
    ).toHaveLength(1);
  });
});
