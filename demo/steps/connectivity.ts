// Connectivity as a pod sees it, with real ICMP through the simulated VPC:
// same node, across nodes and subnets, to the pod's own node, and to the VPC
// router (the subnet gateway, .1 of the subnet).
import type { Cluster, Pod } from "../../test/harness/index.ts";
import { NODES } from "../world.ts";
import { type DemoContext, pod, type Step } from "./types.ts";

async function mustPing(cluster: Cluster, from: Pod, to: string, label: string): Promise<string> {
  const loss = await cluster.ping(from, to, 3);
  if (loss !== 0) throw new Error(`${label}: ${from.name} (${from.ip}) -> ${to}: ${loss}% loss`);
  return `${from.name} ${from.ip} -> ${to}`;
}

function gatewayOf(cidr: string): string {
  const [base] = cidr.split("/");
  const o = base!.split(".");
  return `${o[0]}.${o[1]}.${o[2]}.${Number(o[3]) + 1}`;
}

export const podToPodSameNode: Step = {
  title: "pod -> pod, same node",
  run: async (ctx: DemoContext) =>
    `${await mustPing(ctx.cluster, pod(ctx, "web-1"), pod(ctx, "web-2").ip, "same node")}, 0% loss`,
};

export const podToPodAcrossNodes: Step = {
  title: "pod -> pod, across nodes and subnets (both ways, and from a /28 pod)",
  async run(ctx: DemoContext) {
    const web = pod(ctx, "web-1");
    const api = pod(ctx, "api-1");
    const pd = pod(ctx, "pd-1");
    const lines = [
      await mustPing(ctx.cluster, web, api.ip, "across"),
      await mustPing(ctx.cluster, api, web.ip, "across"),
      await mustPing(ctx.cluster, pd, api.ip, "across"),
    ];
    for (const l of lines) ctx.note(l);
    return `${lines.length} paths, 0% loss`;
  },
};

export const podToNode: Step = {
  title: "pod -> its node and another node (primary IPs)",
  async run(ctx: DemoContext) {
    const web = pod(ctx, "web-1");
    const a = await mustPing(ctx.cluster, web, ctx.cluster.node(NODES.small).privateIp, "own node");
    const b = await mustPing(ctx.cluster, web, ctx.cluster.node(NODES.full).privateIp, "other node");
    ctx.note(a);
    ctx.note(b);
    return "0% loss";
  },
};

export const podToRouter: Step = {
  title: "pod -> VPC router (subnet gateway)",
  async run(ctx: DemoContext) {
    const out: string[] = [];
    for (const name of ["web-1", "api-1"]) {
      const p = pod(ctx, name);
      out.push(await mustPing(ctx.cluster, p, gatewayOf(ctx.cluster.node(p.node).subnetCidr), "router"));
    }
    return `${out.join(", ")}, 0% loss`;
  },
};
