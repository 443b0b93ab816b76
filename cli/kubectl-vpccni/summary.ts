// Pure: NodeIPAM objects -> the cluster summary kubectl-vpccni prints.
// Per node from its own status; per subnet, "used" sums the addresses every
// node holds there and "free" is the smallest free count any node reported
// (each node read DescribeSubnets at a different time; the smallest is the
// conservative answer).

import type { NodeIpamObject } from "../../ipamd/k8s/nodeipam-types.ts";

export interface NodeRow {
  node: string;
  instanceType: string;
  enis: string;
  assigned: number;
  total: number;
  warm: number;
  maxPods: number;
  moreFit: number;
  exhausted: string;
  /** Why, with numbers, when exhausted. */
  detail: string;
}

export interface SubnetRow {
  subnet: string;
  used: number;
  free: number | undefined;
  nodes: number;
}

export interface ClusterSummary {
  nodes: NodeRow[];
  subnets: SubnetRow[];
  /** Nodes without a status yet (ipamd starting). */
  pending: string[];
}

export function summarize(objs: readonly NodeIpamObject[]): ClusterSummary {
  const nodes: NodeRow[] = [];
  const pending: string[] = [];
  const subnets = new Map<string, SubnetRow>();
  for (const o of [...objs].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const s = o.status;
    if (s === undefined) {
      pending.push(o.metadata.name);
      continue;
    }
    const exhaustedCond = s.conditions.find((c) => c.type === "IPAMExhausted" && c.status === "True");
    nodes.push({
      node: o.metadata.name,
      instanceType: s.instanceType,
      enis: `${s.enis.attached}/${s.enis.max}`,
      assigned: s.addresses.assigned,
      total: s.addresses.total,
      warm: s.addresses.available,
      maxPods: s.maxPods,
      moreFit: s.podHeadroom,
      exhausted: s.exhausted,
      detail: s.exhausted === "None" ? "" : (exhaustedCond?.message ?? s.lastAllocationError?.message ?? ""),
    });
    for (const sub of s.subnets) {
      const row = subnets.get(sub.id) ?? { subnet: sub.id, used: 0, free: undefined, nodes: 0 };
      row.used += sub.nodeAddresses;
      row.nodes++;
      if (sub.freeInSubnet !== null)
        row.free = row.free === undefined ? sub.freeInSubnet : Math.min(row.free, sub.freeInSubnet);
      subnets.set(sub.id, row);
    }
  }
  return { nodes, subnets: [...subnets.values()].sort((a, b) => a.subnet.localeCompare(b.subnet)), pending };
}
