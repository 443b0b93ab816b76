// Schedules the demo's first pods, two per node (node-3's from /28 prefixes),
// and checks each got a unique address from its node's subnet.
import { NODES } from "../world.ts";
import type { DemoContext, Step } from "./types.ts";

const PLACEMENT: [string, string][] = [
  ["web-1", NODES.small],
  ["web-2", NODES.small],
  ["api-1", NODES.full],
  ["pd-1", NODES.pd],
  ["pd-2", NODES.pd],
];

function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split("/");
  const n = (a: string) => a.split(".").reduce((s, o) => s * 256 + Number(o), 0);
  const mask = Number(len) === 0 ? 0 : 2 ** 32 - 2 ** (32 - Number(len));
  return (n(ip) & mask) >>> 0 === (n(base!) & mask) >>> 0;
}

export const schedulePods: Step = {
  title: "schedule 5 pods on 3 nodes (CNI ADD through the conflist)",
  async run(ctx: DemoContext) {
    const { cluster } = ctx;
    for (const [name, node] of PLACEMENT) {
      const p = await cluster.addPod(node, { namespace: "demo", name });
      ctx.pods.set(name, p);
      const subnet = cluster.node(node).subnetCidr;
      if (!inCidr(p.ip, subnet)) throw new Error(`${name} on ${node} got ${p.ip}, outside ${subnet}`);
      ctx.note(
        `${name.padEnd(6)} on ${node} (${cluster.node(node).instanceType}): ${p.ip}  ADD ${p.addMs.toFixed(0)} ms`,
      );
    }
    const ips = [...ctx.pods.values()].map((p) => p.ip);
    if (new Set(ips).size !== ips.length) throw new Error(`duplicate pod addresses: ${ips.join(" ")}`);
    // Prefix delegation: the pd pods' addresses come from a /28 delegated to node-3's ENI.
    const enis = (await cluster.introspect(NODES.pd)) as { prefixes: string[] }[];
    const prefixes = enis.flatMap((e) => e.prefixes);
    for (const name of ["pd-1", "pd-2"]) {
      const ip = ctx.pods.get(name)!.ip;
      if (!prefixes.some((pr) => inCidr(ip, pr)))
        throw new Error(`${name} (${ip}) is in none of ${NODES.pd}'s prefixes ${prefixes.join(" ")}`);
    }
    ctx.note(`${NODES.pd} prefixes: ${prefixes.join(" ")}`);
    return `${ips.length} pods, unique VPC addresses in their nodes' subnets`;
  },
};

export { inCidr };
