// A pod's from-rule (`from <pod IP>/32 lookup <table of the ENI owning the
// IP>`, FROM_POD_RULE_PRIORITY) must name the ENI that owns the address NOW.
// EC2 can move an address to another ENI of the node behind ipamd's back (an
// AssignPrivateIpAddresses with AllowReassignment by someone else); reconcile
// then moves the assignment in the datastore, and the rule has to follow, or
// the pod's replies leave through an ENI that no longer owns the address and
// the VPC drops them. Pods on the primary ENI have no from-rule (main table).
import type { Rtnl, RuleInfo, RuleSpec } from "./rtnl.ts";
import { FROM_POD_RULE_PRIORITY } from "./spec.ts";

export interface PodRuleFixes {
  remove: RuleSpec[];
  add: RuleSpec[];
}

/**
 * Pure. `want`: pod address -> the table its from-rule must name, undefined
 * for none (primary ENI). Only rules at the pod priority whose source is one
 * of those addresses are touched; one with another table is replaced (its
 * destination, if any, kept); an address with no rule at all gets one per
 * `destinations` CIDR (SNAT on the node: pod-spec.ts), or one for any
 * destination when that is undefined.
 */
export function podRuleFixes(
  rules: readonly RuleInfo[],
  want: ReadonlyMap<string, number | undefined>,
  destinations?: readonly string[],
): PodRuleFixes {
  const fixes: PodRuleFixes = { remove: [], add: [] };
  const ruled = new Set<string>();
  for (const r of rules) {
    if (r.priority !== FROM_POD_RULE_PRIORITY || r.src === undefined || !r.src.endsWith("/32")) continue;
    const ip = r.src.slice(0, -3);
    if (!want.has(ip)) continue;
    ruled.add(ip);
    const table = want.get(ip);
    if (r.table === table) continue;
    const dst = r.dst === undefined ? {} : { dst: r.dst };
    fixes.remove.push({ priority: FROM_POD_RULE_PRIORITY, table: r.table, src: r.src, ...dst });
    if (table !== undefined) fixes.add.push({ priority: FROM_POD_RULE_PRIORITY, table, src: r.src, ...dst });
  }
  const dsts = destinations !== undefined && destinations.length > 0 ? destinations : [undefined];
  for (const [ip, table] of want) {
    if (table === undefined || ruled.has(ip)) continue;
    for (const dst of dsts)
      fixes.add.push({
        priority: FROM_POD_RULE_PRIORITY,
        table,
        src: `${ip}/32`,
        ...(dst === undefined ? {} : { dst }),
      });
  }
  return fixes;
}

/**
 * Reads the rules once and applies podRuleFixes: removals first (a rule
 * naming the old table must not keep matching first), then additions.
 * Returns what it changed.
 */
export async function syncPodRules(
  rtnl: Pick<Rtnl, "rules" | "addRule" | "deleteRule">,
  want: ReadonlyMap<string, number | undefined>,
  destinations?: readonly string[],
): Promise<PodRuleFixes> {
  if (want.size === 0) return { remove: [], add: [] };
  const fixes = podRuleFixes(await rtnl.rules(), want, destinations);
  for (const r of fixes.remove) await rtnl.deleteRule(r);
  for (const r of fixes.add) await rtnl.addRule(r);
  return fixes;
}
