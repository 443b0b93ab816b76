// "Nothing left behind": a snapshot of the root namespace (links, rules,
// routes of every table) and of the namespace list, taken before a cluster
// exists and after it is destroyed. Leftovers are namespaces carrying the
// run's prefix, anything new in the root namespace, live ipamd processes and
// the temp dir.
import { existsSync } from "node:fs";
import type { Cluster } from "../../harness/index.ts";
import { run } from "../../harness/proc.ts";

export interface HostSnapshot {
  netns: string[];
  links: string[];
  rules: string[];
  routes: string[];
}

async function lines(args: string[]): Promise<string[]> {
  const r = await run("ip", args);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  return {
    netns: (await lines(["netns", "list"])).map((l) => l.split(" ")[0]!),
    // Names only: counters and flags change on their own.
    links: (await lines(["-o", "link", "show"])).map((l) => l.split(":")[1]!.trim().split("@")[0]!),
    rules: await lines(["rule", "show"]),
    routes: await lines(["route", "show", "table", "all"]),
  };
}

/** What `cluster` (already destroyed) left behind, compared with `before`. Empty = clean. */
export async function leftovers(cluster: Cluster, before: HostSnapshot): Promise<string[]> {
  const after = await hostSnapshot();
  const out: string[] = [];
  for (const ns of after.netns) if (ns.startsWith(cluster.prefix)) out.push(`namespace ${ns}`);
  const added = (k: "links" | "rules" | "routes") => after[k].filter((x) => !before[k].includes(x));
  for (const l of added("links")) out.push(`link ${l}`);
  for (const r of added("rules")) out.push(`rule ${r}`);
  for (const r of added("routes")) out.push(`route ${r}`);
  for (const n of cluster.nodes) {
    const pid = n.ipamd?.pid;
    if (pid !== undefined && isAlive(pid)) out.push(`ipamd pid ${pid} (${n.name})`);
  }
  if (existsSync(cluster.tmpDir)) out.push(`dir ${cluster.tmpDir}`);
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
