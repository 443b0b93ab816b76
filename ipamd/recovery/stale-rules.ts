// ENI rules (`from <ENI primary IP> lookup <table>`) whose ENI vanished while
// ipamd was down. ENIs are not in the checkpoint, so after a restart nothing
// else remembers them; the running pool loop tears down the ENIs reconcile
// drops, this covers the same case across a restart. Left in place, such a
// rule would route a pod that later gets that address through a dead table.
// And pods' rules for addresses ipamd no longer holds (stalePodRules).
import { ENI_RULE_PRIORITY } from "../hostnet/eni-link.ts";
import { RT_TABLE_MAIN, type RuleInfo } from "../hostnet/rtnl.ts";
import { FROM_POD_RULE_PRIORITY, TO_POD_RULE_PRIORITY } from "../hostnet/spec.ts";

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

/**
 * Pure: pods' rules for addresses ipamd does not hold: to-rules (`to <IP>/32
 * lookup main` at the to-pod priority) and SNAT-shaped from-rules (`from
 * <IP>/32 to <CIDR> lookup <ENI table>`; the plain ones look like ENI rules
 * and staleEniRules takes them). Recovery drops an assignment whose address
 * the instance no longer owns (its ENI was detached while ipamd was down),
 * and the pod's later DEL finds nothing to remove, so these stay behind (the
 * short soak found one). A to-rule left in place would, once EC2 gives the
 * address to a pod elsewhere, send this node's pods' traffic to it through
 * the main table, out of an ENI that does not own their source address.
 * Recovery runs before the API serves, so no ADD is in flight.
 */
export function stalePodRules(rules: readonly RuleInfo[], heldIps: ReadonlySet<string>): RuleInfo[] {
  const notHeld = (cidr: string | undefined) =>
    cidr?.endsWith("/32") === true && !heldIps.has(cidr.slice(0, -3));
  return rules.filter((r) => {
    if (r.priority === TO_POD_RULE_PRIORITY)
      return r.table === RT_TABLE_MAIN && r.src === undefined && notHeld(r.dst);
    if (r.priority === FROM_POD_RULE_PRIORITY) return r.dst !== undefined && notHeld(r.src);
    return false;
  });
}
