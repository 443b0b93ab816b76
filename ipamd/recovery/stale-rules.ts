// ENI rules (`from <ENI primary IP> lookup <table>`) whose ENI vanished while
// ipamd was down. ENIs are not in the checkpoint, so after a restart nothing
// else remembers them; the running pool loop tears down the ENIs reconcile
// drops, this covers the same case across a restart. Left in place, such a
// rule would route a pod that later gets that address through a dead table.
import { ENI_RULE_PRIORITY } from "../hostnet/eni-link.ts";
import { RT_TABLE_MAIN, type RuleInfo } from "../hostnet/rtnl.ts";

/**
 * Pure: rules that look like an ENI rule (our priority, a /32 source, no
 * destination, a per-ENI table) and whose source is neither an attached
 * ENI's primary address nor an address ipamd holds for a pod (pods' own
 * from-rules share the priority and have the same shape without SNAT
 * destinations).
 */
export function staleEniRules(
  rules: readonly RuleInfo[],
  eniPrimaryIps: ReadonlySet<string>,
  heldIps: ReadonlySet<string>,
): RuleInfo[] {
  return rules.filter((r) => {
    if (r.priority !== ENI_RULE_PRIORITY || r.dst !== undefined || r.src === undefined) return false;
    if (r.table < 2 || (r.table >= 253 && r.table <= RT_TABLE_MAIN + 1)) return false; // main/default/local
    if (!r.src.endsWith("/32")) return false;
    const ip = r.src.slice(0, -3);
    return !eniPrimaryIps.has(ip) && !heldIps.has(ip);
  });
}
