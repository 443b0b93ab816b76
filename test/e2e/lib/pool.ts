// One node's address pool as ipamd reports it (introspection) next to what
// EC2 says the instance holds (the emulator through the EC2 API), and a poller
// that waits for a condition on it with the last view in the error.
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import type { Cluster } from "../../harness/index.ts";

export interface PoolView {
  node: string;
  instanceType: string;
  enis: number;
  maxEnis: number;
  assigned: number;
  /** Addresses held for pods (secondary IPs + 16 per /28). */
  total: number;
  available: number;
  cooldown: number;
  prefixes: number;
  /** Whole /28s with nothing assigned or cooling (prefix delegation). */
  freePrefixes: number;
  /** Pod addresses at the instance limit (ENIs × slots, or × 16 with prefixes). */
  maxAddresses: number;
  /** kubelet max-pods as ipamd computes it (the EKS formula: + 2 host-network pods, capped). */
  maxPods: number;
  /** Address slots per ENI for pods (ipv4PerEni - 1: the ENI's own primary IP is not a pod's). */
  perEni: number;
  /** The same two numbers from EC2's DescribeNetworkInterfaces. */
  ec2: { enis: number; total: number };
}

interface StatusView {
  counts: {
    total: number;
    assigned: number;
    available: number;
    cooldown: number;
    enis: number;
    prefixes: number;
    freePrefixes: number;
  };
}
interface LimitsView {
  instanceType: string;
  maxEnis: number;
  ipv4PerEni: number;
  maxPodAddresses: number;
  maxPods: number;
}

export async function poolView(cluster: Cluster, node: string): Promise<PoolView> {
  const n = cluster.node(node);
  const [status, limits, ec2] = await Promise.all([
    cluster.introspect(node, "/v1/status") as Promise<StatusView>,
    cluster.introspect(node, "/v1/limits") as Promise<LimitsView>,
    cluster.ec2.send(
      new DescribeNetworkInterfacesCommand({
        Filters: [{ Name: "attachment.instance-id", Values: [n.instanceId] }],
      }),
    ),
  ]);
  const list = ec2.NetworkInterfaces ?? [];
  const ec2Total = list.reduce(
    (s, e) =>
      s + (e.PrivateIpAddresses ?? []).filter((a) => !a.Primary).length + 16 * (e.Ipv4Prefixes?.length ?? 0),
    0,
  );
  const c = status.counts;
  return {
    node,
    instanceType: limits.instanceType,
    enis: c.enis,
    maxEnis: limits.maxEnis,
    assigned: c.assigned,
    total: c.total,
    available: c.available,
    cooldown: c.cooldown,
    prefixes: c.prefixes,
    freePrefixes: c.freePrefixes,
    maxAddresses: limits.maxPodAddresses,
    maxPods: limits.maxPods,
    perEni: limits.ipv4PerEni - 1,
    ec2: { enis: list.length, total: ec2Total },
  };
}

export function describePool(v: PoolView): string {
  return (
    `${v.enis}/${v.maxEnis} ENIs, ${v.assigned} assigned / ${v.total} held / ${v.available} free` +
    `${v.cooldown ? ` / ${v.cooldown} cooling` : ""}${v.prefixes ? `, ${v.prefixes} /28s` : ""}` +
    ` (EC2: ${v.ec2.enis} ENIs, ${v.ec2.total} addresses)`
  );
}

/** Polls until `ok(view)`; throws with the last view and `what` when it never holds. */
export async function waitForPool(
  cluster: Cluster,
  node: string,
  what: string,
  ok: (v: PoolView) => boolean,
  timeoutMs = 20_000,
): Promise<PoolView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await poolView(cluster, node);
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`${node}: ${what} not reached in ${timeoutMs} ms; last: ${describePool(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** ipamd and EC2 agree on what the node holds. */
export const agreesWithEc2 = (v: PoolView) => v.ec2.enis === v.enis && v.ec2.total === v.total;
