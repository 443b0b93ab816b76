// Pure: the summary as aligned text tables (kubectl's column style).

import type { ClusterSummary } from "./summary.ts";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function render(s: ClusterSummary): string {
  const out: string[] = [];
  out.push(
    table(
      ["NODE", "INSTANCE", "ENIS", "ASSIGNED/TOTAL", "WARM", "MAX-PODS", "MORE-PODS-FIT", "STATUS"],
      s.nodes.map((n) => [
        n.node,
        n.instanceType,
        n.enis,
        `${n.assigned}/${n.total}`,
        String(n.warm),
        String(n.maxPods),
        String(n.moreFit),
        n.exhausted === "None" ? "ok" : `EXHAUSTED (${n.exhausted}${n.detail ? `: ${n.detail}` : ""})`,
      ]),
    ),
  );
  out.push("");
  out.push(
    table(
      ["SUBNET", "USED", "FREE", "NODES"],
      s.subnets.map((r) => [
        r.subnet,
        String(r.used),
        r.free === undefined ? "?" : String(r.free),
        String(r.nodes),
      ]),
    ),
  );
  if (s.pending.length > 0) out.push("", `no status yet: ${s.pending.join(", ")}`);
  return `${out.join("\n")}\n`;
}
