// Warm pools after pod churn, in all three target modes, read from ipamd's
// introspection and checked against EC2 (the emulator): WARM_IP_TARGET /
// MINIMUM_IP_TARGET on the t3.medium, WARM_ENI_TARGET on the m5.large, and
// prefix delegation on the c5.xlarge, which packs 16 addresses per /28.
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inCidr } from "../../demo/steps/schedule.ts";
import { type Cluster, createCluster, type Pod } from "../harness/index.ts";
import { agreesWithEc2, describePool, waitForPool } from "./lib/pool.ts";
import { describeTargets, settledOnTargets, targetsOf } from "./lib/targets.ts";
import { demoClusterOptions, type EniView, e2eReady, NODES } from "./lib/world.ts";

describe.skipIf(!e2eReady)("e2e: warm pools and prefix delegation", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await createCluster(demoClusterOptions());
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  const settle = (node: string) => {
    const t = targetsOf(cluster.node(node));
    return waitForPool(
      cluster,
      node,
      describeTargets(t),
      (x) => settledOnTargets(t, x) && agreesWithEc2(x),
      30_000,
    );
  };

  it("every node starts settled on its targets", async () => {
    for (const n of cluster.nodes) await settle(n.name);
    const small = await settle(NODES.small);
    expect(small.total).toBe(4); // MINIMUM_IP_TARGET=4 with no pods
  });

  it("churn on the WARM_IP_TARGET node: after each round, free = max(2, 4 - assigned) exactly", async () => {
    const pods: Pod[] = [];
    // up to 7 (second ENI), down to 3, down to 0
    for (const want of [7, 3, 0]) {
      while (pods.length < want)
        pods.push(
          await cluster.addPod(NODES.small, { namespace: "churn", name: `c-${pods.length}-${want}` }),
        );
      while (pods.length > want) await cluster.delPod(pods.pop()!);
      const v = await settle(NODES.small);
      expect(v.assigned, describePool(v)).toBe(want);
      expect(v.available, describePool(v)).toBe(Math.max(2, 4 - want));
      expect(v.total).toBe(want + Math.max(2, 4 - want));
    }
  });

  it("churn on the WARM_ENI_TARGET node: back to one ENI with 9 free when empty", async () => {
    const pods: Pod[] = [];
    for (let i = 0; i < 12; i++)
      pods.push(await cluster.addPod(NODES.full, { namespace: "churn", name: `e-${i}` }));
    const grown = await settle(NODES.full);
    expect(grown.enis).toBe(3); // 12 assigned + 9 warm = 21 needs 3 ENIs of 9
    for (const p of pods) await cluster.delPod(p);
    const v = await settle(NODES.full);
    expect(v.enis).toBe(1);
    expect(v.available).toBe(9);
  });

  it("prefix delegation: 17 pods take two /28s, 16 addresses each, plus one warm /28", async () => {
    const node = cluster.node(NODES.pd);
    const pods: Pod[] = [];
    for (let i = 0; i < 17; i++) pods.push(await cluster.addPod(node, { namespace: "pd", name: `pd-${i}` }));
    const v = await settle(NODES.pd);
    expect(v.prefixes).toBe(3); // ceil(17 / 16) + WARM_PREFIX_TARGET=1
    expect(v.total).toBe(3 * 16);
    expect(v.freePrefixes).toBe(1);
    const enis = (await cluster.introspect(node)) as EniView[];
    const prefixes = enis.flatMap((e) => e.prefixes);
    expect(enis.flatMap((e) => e.ips)).toEqual([]); // no single secondary IPs at all
    for (const p of prefixes) expect(p).toMatch(/\/28$/);
    // Every pod address lies in a delegated /28; the first 16 pods filled one /28 completely.
    const byPrefix = new Map(prefixes.map((p) => [p, 0]));
    for (const pod of pods) {
      const pr = prefixes.find((p) => inCidr(pod.ip, p));
      expect(pr, pod.ip).toBeDefined();
      byPrefix.set(pr!, byPrefix.get(pr!)! + 1);
    }
    expect([...byPrefix.values()].sort((x, y) => y - x)).toEqual([16, 1, 0]);
    // EC2 sees /28 prefixes on the ENI, not secondary addresses.
    const ec2 = await cluster.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [node.instanceId] }],
      }),
    );
    const ec2Prefixes = (ec2.NetworkInterfaces ?? [])
      .flatMap((e) => e.Ipv4Prefixes ?? [])
      .map((p) => p.Ipv4Prefix);
    expect(ec2Prefixes.sort()).toEqual([...prefixes].sort());
    // A pod in the second /28 is reachable from another node.
    const other = await cluster.addPod(NODES.full, { namespace: "pd", name: "peer" });
    expect(await cluster.ping(other, pods[16]!.ip)).toBe(0);
    for (const p of pods) await cluster.delPod(p);
    const after = await settle(NODES.pd);
    expect(after.prefixes).toBe(1);
  });
});
