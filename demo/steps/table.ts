// The closing per-node table: instance type, ENIs used/max, addresses
// assigned/total/warm, max pods, and the warm target each node runs with.
import { poolView } from "../../test/e2e/lib/pool.ts";
import { describeTargets, targetsOf } from "../../test/e2e/lib/targets.ts";
import type { DemoContext, Step } from "./types.ts";

export const nodeTable: Step = {
  title: "per-node pool table",
  async run(ctx: DemoContext) {
    const head = [
      "node",
      "type",
      "subnet",
      "PD",
      "ENIs used/max",
      "IPs assigned/total/warm",
      "pod IPs at limit",
      "max pods",
      "targets",
    ];
    const rows = [head];
    for (const n of ctx.cluster.nodes) {
      const v = await poolView(ctx.cluster, n.name);
      rows.push([
        n.name,
        n.instanceType,
        n.subnetCidr,
        n.prefixDelegation ? `yes (${v.prefixes} /28)` : "no",
        `${v.enis}/${v.maxEnis}`,
        `${v.assigned}/${v.total}/${v.available}`,
        String(v.maxAddresses),
        String(v.maxPods),
        describeTargets(targetsOf(n)),
      ]);
    }
    const w = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    for (const r of rows) ctx.note(r.map((c, i) => c.padEnd(w[i]!)).join("  "));
    return `${ctx.cluster.nodes.length} nodes`;
  },
};
