// What the kernel shows inside namespaces (`ip -j`), and the pure checks on it:
// after every pod is gone, a node namespace keeps no pod veth, no rule and no
// route naming any address a pod ever had.
import { run } from "../harness/proc.ts";

export async function ipJson(netns: string, args: string[]): Promise<unknown[]> {
  const r = await run("ip", ["-n", netns, "-j", ...args], 10_000);
  if (r.code !== 0) throw new Error(`ip -n ${netns} -j ${args.join(" ")}: ${r.stderr.trim()}`);
  const parsed: unknown = JSON.parse(r.stdout || "[]");
  return Array.isArray(parsed) ? parsed : [];
}

/** IPv4 addresses on a pod's eth0; [] when the interface is missing. */
export async function podAddrs(netns: string): Promise<string[]> {
  const r = await run("ip", ["-n", netns, "-j", "-4", "addr", "show", "dev", "eth0"], 10_000);
  if (r.code !== 0) return [];
  const links = JSON.parse(r.stdout || "[]") as { addr_info?: { local?: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : [])));
}

export interface NodeNetView {
  links: { ifname?: string }[];
  rules: { src?: string; dst?: string; priority?: number; table?: string }[];
  routes: { dst?: string; dev?: string; table?: string }[];
}

export async function nodeNetView(netns: string): Promise<NodeNetView> {
  const [links, rules, routes] = await Promise.all([
    ipJson(netns, ["link", "show"]),
    ipJson(netns, ["-4", "rule", "show"]),
    ipJson(netns, ["-4", "route", "show", "table", "all"]),
  ]);
  return { links, rules, routes } as NodeNetView;
}

const host = (a: string | undefined) => (a ?? "").replace(/\/32$/, "");

export function leftoverViolations(
  node: string,
  v: NodeNetView,
  vethPrefix: string,
  podIps: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const l of v.links)
    if (l.ifname?.startsWith(vethPrefix)) out.push(`${node}: pod veth ${l.ifname} left behind`);
  for (const r of v.rules)
    if (podIps.has(host(r.src)) || podIps.has(host(r.dst)))
      out.push(`${node}: rule ${JSON.stringify(r)} for a pod address left behind`);
  for (const r of v.routes)
    if (podIps.has(host(r.dst)) || r.dev?.startsWith(vethPrefix))
      out.push(`${node}: route ${JSON.stringify(r)} for a pod left behind`);
  return out;
}
