// Custom networking end to end: ipamd (a child process in a node namespace)
// reads its Node and ENIConfig from the stand-in API server (the real
// @kubernetes/client-node over HTTP; no kube-apiserver can run here) and
// creates its pod ENIs through the emulator's EC2 API in the ENIConfig's
// subnet with the ENIConfig's security groups; pods get addresses there,
// never on the primary ENI.
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster } from "../../harness/index.ts";
import { createEniConfig } from "../../support/fake-apiserver/fixtures.ts";
import { canUseNetns } from "../../support/privileges.ts";

const SG = "sg-0c0ffee000000001";

describe.skipIf(!canUseNetns)("custom networking (ENIConfig) against the stand-in + emulator", () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await createCluster({
      nodes: [{ name: "cn", instanceType: "t3.medium", subnet: 0 }],
      timeScale: 0.01,
      kubernetes: true,
      startIpamd: false,
      env: {
        AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true",
        // One ENIConfig per AZ, named after it (the AWS default key is k8s.amazonaws.com/eniConfig).
        ENI_CONFIG_LABEL_DEF: "topology.kubernetes.io/zone",
        VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
      },
    });
    // The harness labels each node with its subnet's AZ; the ENIConfig is named after it.
    const zone = (
      c.kube!.api.store.get("/v1/nodes", undefined, "cn")!.metadata as {
        labels: Record<string, string>;
      }
    ).labels["topology.kubernetes.io/zone"]!;
    createEniConfig(c.kube!.api, zone, c.subnets[1]!.id, [SG]);
    await c.startIpamd("cn");
  });
  afterAll(() => c?.destroy());

  it("new ENIs land in the ENIConfig's subnet with its security groups; the primary ENI keeps its own", async () => {
    const n = c.node("cn");
    const r = await c.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [n.instanceId] }],
      }),
    );
    const enis = r.NetworkInterfaces ?? [];
    const primary = enis.find((e) => e.Attachment?.DeviceIndex === 0)!;
    const secondary = enis.filter((e) => e.Attachment?.DeviceIndex !== 0);
    expect(primary.SubnetId).toBe(c.subnets[0]!.id);
    expect(primary.Groups?.map((g) => g.GroupId)).not.toContain(SG);
    expect(secondary.length).toBeGreaterThanOrEqual(1);
    for (const e of secondary) {
      expect(e.SubnetId).toBe(c.subnets[1]!.id);
      expect(e.Groups?.map((g) => g.GroupId)).toEqual([SG]);
    }
  });

  it("pods get addresses from the ENIConfig's subnet, never from the primary ENI", async () => {
    const p = await c.addPod("cn", { namespace: "default", name: "cn-pod" });
    expect(p.ip.startsWith("10.0.2.")).toBe(true);
    const a = (await c.introspect("cn", "/v1/assignments")) as { ip: string; eniId: string }[];
    const enis = (await c.introspect("cn", "/v1/enis")) as { id: string; primary: boolean }[];
    const primaryId = enis.find((e) => e.primary)!.id;
    expect(a.length).toBe(1);
    expect(a.every((x) => x.eniId !== primaryId)).toBe(true);
  });

  it("the ENIConfig was read with the vpc-cni service account's RBAC (nothing refused)", () => {
    const reqs = c.kube!.api.requestsBy("system:serviceaccount:kube-system:vpc-cni");
    expect(reqs.filter((r) => r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(reqs.some((r) => r.info?.resource === "eniconfigs" && r.info.verb === "get")).toBe(true);
  });
});
