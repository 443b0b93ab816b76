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
 * Pure: the sources whose ENI-shaped rules recovery must never remove. Of the
 * ENIs ipamd manages, only the primary address: a plain from-rule for one of
 * their secondaries is a pod's, and stale once no pod holds that address (a
 * pod whose ADD died with ipamd, or whose DEL came while it was down). Left
 * in place it outranks the rule of the next pod given the address after it
 * moved to another ENI (same priority, older first), and that pod's replies
 * leave through an ENI that no longer owns it: the short soak found one. Of
 * every other ENI IMDS lists (other network cards, no-manage tags, an attach
 * not yet in the datastore), every address: their rules are not ours.
 */
export function ruleProtectedIps(
  managed: readonly { id: string; primaryIp: string }[],
  imdsEnis: readonly { interfaceId: string; localIpv4s: readonly string[] }[],
): Set<string> {
  const ids = new Set(managed.map((e) => e.id));
  const out = new Set(managed.map((e) => e.primaryIp));
  for (const m of imdsEnis) if (!ids.has(m.interfaceId)) for (const ip of m.localIpv4s) out.add(ip);
  return out;
}

/**
 * Pure: rules that look like an ENI rule (our priority, a /32 source, no
 * destination, a per-ENI table) and whose source is neither in `untouchable`
 * (ruleProtectedIps: attached ENIs' primaries, every address of ENIs ipamd
 * does not manage) nor an address ipamd holds for a pod. Pods' own plain
 * from-rules have this shape too, so an unheld pod address's is taken here.
 */
export function staleEniRules(
  rules: readonly RuleInfo[],
  untouchable: ReadonlySet<string>,
  heldIps: ReadonlySet<string>,
): RuleInfo[] {
  return rules.filter((r) => {
    if (r.priority !== ENI_RULE_PRIORITY || r.dst !== undefined || r.src === undefined) return false;
    if (r.table < 2 || (r.table >= 253 && r.table <= RT_TABLE_MAIN + 1)) return false; // main/default/local
    if (!r.src.endsWith("/32")) return false;
    const ip = r.src.slice(0, -3);
    return !untouchable.has(ip) && !heldIps.has(ip);
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
