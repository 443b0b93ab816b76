// No overlay: no tunnel device anywhere in the cluster, and the packets the VPC
// router receives from a node's ENI carry the pods' own addresses (an nft
// counter in the router namespace, on that ENI's router-side link).
import { surveyLinks } from "../../test/e2e/lib/tunnels.ts";
import { countOnWire } from "../../test/e2e/lib/wire.ts";
import { type DemoContext, pod, type Step } from "./types.ts";

export const noTunnelDevices: Step = {
  title: "no vxlan/geneve/ipip/gre/... device in any namespace the demo created",
  async run(ctx: DemoContext) {
    const s = await surveyLinks(ctx.cluster);
    if (s.tunnels.length > 0)
      throw new Error(
        `tunnel devices: ${s.tunnels.map((t) => `${t.netns}/${t.ifname} (${t.kind})`).join(", ")}`,
      );
    if (!s.kinds["veth"])
      throw new Error(`no veth among ${s.links} links: the survey looked at nothing useful`);
    const kinds = Object.entries(s.kinds)
      .map(([k, n]) => `${n} ${k || "lo"}`)
      .join(", ");
    return `${s.links} links in ${s.namespaces} namespaces (${kinds})`;
  },
};

export const podAddressesOnTheWire: Step = {
  title: "on the wire node -> VPC router, packets carry the pod addresses",
  async run(ctx: DemoContext) {
    const web = pod(ctx, "web-1");
    const api = pod(ctx, "api-1");
    const out: string[] = [];
    for (const [from, to] of [
      [web, api],
      [api, web],
    ] as const) {
      const enis = (await ctx.cluster.introspect(from.node)) as { id: string; ips: string[] }[];
      const eni = enis.find((e) => e.ips.includes(from.ip));
      if (!eni) throw new Error(`no ENI of ${from.node} holds ${from.ip}`);
      const link = ctx.cluster.dataPlane.plumbingOf(eni.id)?.routerIf;
      const count = 5;
      const packets = await countOnWire(ctx.cluster, { eniId: eni.id, saddr: from.ip, daddr: to.ip }, () =>
        ctx.cluster.ping(from, to.ip, count),
      );
      if (packets < count)
        throw new Error(
          `router link ${link} (${eni.id}) saw ${packets} packets ${from.ip} -> ${to.ip}, want >= ${count}`,
        );
      ctx.note(
        `router link ${link} from ${from.node}/${eni.id}: ${packets} packets ip saddr ${from.ip} ip daddr ${to.ip}`,
      );
      out.push(`${packets}/${count}`);
    }
    return `nft counters matched ${out.join(" and ")} pings`;
  },
};
