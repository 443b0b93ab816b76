// "No encapsulation", checked on the interfaces themselves: every namespace a
// cluster created (VPC router, nodes, pods) is listed with `ip -d -j link` and
// any tunnel device kind is reported. The count of links inspected comes back
// too, so a caller can tell "no tunnel" from "looked at nothing".
import type { Cluster } from "../../harness/index.ts";
import { run } from "../../harness/proc.ts";

/** Link kinds that wrap packets in another header (the overlay CNIs' tools). */
export const TUNNEL_KINDS = new Set([
  "vxlan",
  "geneve",
  "ipip",
  "gre",
  "gretap",
  "ip6gre",
  "ip6gretap",
  "erspan",
  "ip6erspan",
  "sit",
  "ip6tnl",
  "vti",
  "vti6",
  "bareudp",
  "wireguard",
]);

export interface LinkSurvey {
  namespaces: number;
  links: number;
  /** Kinds seen, e.g. { veth: 40, "": 12 } ("" = no linkinfo, e.g. lo). */
  kinds: Record<string, number>;
  tunnels: { netns: string; ifname: string; kind: string }[];
}

/** Every namespace this cluster created: the router, the nodes and the live pods. */
export function clusterNamespaces(cluster: Cluster): string[] {
  return [
    cluster.dataPlane.routerNetns,
    ...cluster.nodes.map((n) => n.netns),
    ...cluster.runtime.podNetnsNames(),
  ];
}

export async function surveyLinks(cluster: Cluster): Promise<LinkSurvey> {
  const survey: LinkSurvey = { namespaces: 0, links: 0, kinds: {}, tunnels: [] };
  for (const ns of clusterNamespaces(cluster)) {
    const r = await run("ip", ["-n", ns, "-d", "-j", "link", "show"]);
    if (r.code !== 0) throw new Error(`ip -n ${ns} link: ${r.stderr.trim()}`);
    const links = JSON.parse(r.stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
    survey.namespaces++;
    for (const l of links) {
      const kind = l.linkinfo?.info_kind ?? "";
      survey.links++;
      survey.kinds[kind] = (survey.kinds[kind] ?? 0) + 1;
      if (TUNNEL_KINDS.has(kind)) survey.tunnels.push({ netns: ns, ifname: l.ifname, kind });
    }
  }
  return survey;
}
