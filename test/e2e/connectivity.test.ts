// VPC-native pod networking in the demo's world: pods reach each other on one
// node, across nodes and subnets, their node and the VPC router; nothing is
// encapsulated (no tunnel device; the router sees the pod addresses on the
// ENI's link); a pod behind a secondary ENI (attached after start) works and
// its traffic leaves through that ENI (policy routing); teardown leaves nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, type Pod } from "../harness/index.ts";
import { type HostSnapshot, hostSnapshot, leftovers } from "./lib/teardown.ts";
import { surveyLinks } from "./lib/tunnels.ts";
import { countOnWire } from "./lib/wire.ts";
import { demoClusterOptions, type EniView, e2eReady, NODES } from "./lib/world.ts";

const gateway = (cidr: string) => cidr.replace(/\.0\/\d+$/, ".1");

describe.skipIf(!e2eReady)("e2e: connectivity without encapsulation", () => {
  let cluster: Cluster;
  let before: HostSnapshot;
  const a: Pod[] = []; // node-1 (t3.medium, 10.0.1.0/24)
  let b: Pod; // node-2 (m5.large, 10.0.2.0/24)
  let pd: Pod; // node-3 (c5.xlarge, prefix delegation)
  const startMs = Date.now();

  beforeAll(async () => {
    before = await hostSnapshot();
    cluster = await createCluster(demoClusterOptions());
    a.push(await cluster.addPod(NODES.small, { namespace: "e2e", name: "a-0" }));
    a.push(await cluster.addPod(NODES.small, { namespace: "e2e", name: "a-1" }));
    b = await cluster.addPod(NODES.full, { namespace: "e2e", name: "b-0" });
    pd = await cluster.addPod(NODES.pd, { namespace: "e2e", name: "pd-0" });
  });

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("pod to pod on one node", async () => {
    expect(await cluster.ping(a[0]!, a[1]!.ip)).toBe(0);
    expect(await cluster.ping(a[1]!, a[0]!.ip)).toBe(0);
  });

  it("pod to pod across nodes and subnets, both ways, including a /28 pod", async () => {
    expect(a[0]!.ip.startsWith("10.0.1.")).toBe(true);
    expect(b.ip.startsWith("10.0.2.")).toBe(true);
    expect(await cluster.ping(a[0]!, b.ip)).toBe(0);
    expect(await cluster.ping(b, a[0]!.ip)).toBe(0);
    expect(await cluster.ping(pd, b.ip)).toBe(0);
    expect(await cluster.ping(b, pd.ip)).toBe(0);
  });

  it("pod to its own node and to another node", async () => {
    expect(await cluster.ping(a[0]!, cluster.node(NODES.small).privateIp)).toBe(0);
    expect(await cluster.ping(a[0]!, cluster.node(NODES.full).privateIp)).toBe(0);
    expect(await cluster.ping(NODES.full, a[0]!.ip)).toBe(0); // node to a pod elsewhere
  });

  it("pod to the VPC router (its subnet's gateway)", async () => {
    expect(await cluster.ping(a[0]!, gateway(cluster.node(NODES.small).subnetCidr))).toBe(0);
    expect(await cluster.ping(b, gateway(cluster.node(NODES.full).subnetCidr))).toBe(0);
  });

  it("no tunnel device in any namespace of the cluster", async () => {
    const s = await surveyLinks(cluster);
    expect(s.tunnels).toEqual([]);
    // The survey saw the router, 3 nodes and 4 pods, and their veths.
    expect(s.namespaces).toBe(1 + 3 + 4);
    expect(s.kinds["veth"]).toBeGreaterThanOrEqual(2 * 4 + 3);
  });

  it("between node and router, packets carry the pod addresses (nft counter on the ENI's router link)", async () => {
    const eniOf = async (p: Pod) =>
      ((await cluster.introspect(p.node)) as EniView[]).find((e) => e.ips.includes(p.ip))!;
    const fwd = await countOnWire(
      cluster,
      { eniId: (await eniOf(a[0]!)).id, saddr: a[0]!.ip, daddr: b.ip },
      () => cluster.ping(a[0]!, b.ip, 4),
    );
    const back = await countOnWire(
      cluster,
      { eniId: (await eniOf(b)).id, saddr: b.ip, daddr: a[0]!.ip },
      () => cluster.ping(a[0]!, b.ip, 4),
    );
    expect(fwd).toBeGreaterThanOrEqual(4);
    expect(back).toBeGreaterThanOrEqual(4); // the echo replies
    // Control: the counter does not count what does not cross that link.
    const none = await countOnWire(
      cluster,
      { eniId: (await eniOf(a[0]!)).id, saddr: b.ip, daddr: a[0]!.ip },
      () => cluster.ping(a[0]!, b.ip, 2),
    );
    expect(none).toBe(0);
  });

  it("an ENI attached after start carries pods; their traffic leaves via that ENI (policy routing)", async () => {
    // t3.medium: 5 pod addresses per ENI, so pods beyond the first ENI live on a secondary one.
    const node = cluster.node(NODES.small);
    for (let i = a.length; i < 8; i++)
      a.push(await cluster.addPod(node, { namespace: "e2e", name: `a-${i}` }));
    const enis = (await cluster.introspect(node)) as EniView[];
    const primary = enis.find((e) => e.primary)!;
    const secondary = enis.filter((e) => !e.primary);
    expect(secondary.length).toBeGreaterThanOrEqual(1);
    for (const e of secondary) expect(e.attachedAtMs).toBeGreaterThan(startMs);
    const behind = a.find((p) => secondary.some((e) => e.ips.includes(p.ip)));
    expect(behind).toBeDefined();
    const eni = secondary.find((e) => e.ips.includes(behind!.ip))!;
    expect(eni.deviceIndex).toBeGreaterThanOrEqual(1);
    // The node has a rule sending the pod's traffic to the ENI's table (towards
    // the VPC: with SNAT on the node, the default, the rest leaves by the primary ENI).
    const rules = await cluster.exec(node, ["ip", "rule", "show"]);
    expect(rules.stdout).toMatch(
      new RegExp(
        `from ${behind!.ip.replaceAll(".", "\\.")}( |/32 )to 10\\.0\\.0\\.0/16 lookup ${eni.deviceIndex + 1}\\b`,
      ),
    );
    const viaOwner = await countOnWire(cluster, { eniId: eni.id, saddr: behind!.ip, daddr: b.ip }, () =>
      cluster.ping(behind!, b.ip, 4),
    );
    const viaPrimary = await countOnWire(cluster, { eniId: primary.id, saddr: behind!.ip, daddr: b.ip }, () =>
      cluster.ping(behind!, b.ip, 4),
    );
    expect(viaOwner).toBeGreaterThanOrEqual(4);
    expect(viaPrimary).toBe(0);
    expect(await cluster.ping(b, behind!.ip)).toBe(0); // and the router delivers replies to it
  });

  it("teardown leaves no namespace, interface, rule, route, process or directory behind", async () => {
    expect(cluster.runtime.pods.size).toBeGreaterThan(0); // destroyed with live pods, the hard case
    await cluster.destroy();
    expect(await leftovers(cluster, before)).toEqual([]);
  });
});
