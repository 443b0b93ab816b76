// DEL for one pod: idempotent, and works when the pod's netns is already gone.
import { isGoneErrno } from "./errors.ts";
import { openPodNetns, openRtnlIn } from "./netns.ts";
import { RT_TABLE_MAIN, type Rtnl, type RuleSpec } from "./rtnl.ts";
import { ruleDeleteMessage } from "./rtnl-encode.ts";
import { FROM_POD_RULE_PRIORITY, fromRules, TO_POD_RULE_PRIORITY } from "./spec.ts";
import { HostnetError, type PodNetworkSpec } from "./types.ts";

/**
 * Deletes every rule matching each of `rules`: there may be several (one
 * from-rule per VPC CIDR, or duplicates left by other tools). Each round sends
 * `expected + 1` deletes per rule in ONE datagram (Rtnl.batch), so the usual
 * case is one round trip and one "gone" answer per rule; a rule whose deletes
 * all succeeded gets another round. Bounded: MAX_DELETES per rule, as before.
 */
async function deleteAllRules(host: Rtnl, rules: { rule: RuleSpec; expected: number }[]): Promise<void> {
  let left = rules.map((r) => ({ ...r, sent: 0 }));
  while (left.length > 0) {
    const counts = left.map((r) => Math.min(r.expected + 1, MAX_DELETES - r.sent));
    const outcomes = await host.batch(
      left.flatMap((r, k) => Array.from({ length: counts[k]! }, () => ruleDeleteMessage(r.rule))),
    );
    let at = 0;
    left = left.filter((r, k) => {
      const mine = outcomes.slice(at, at + counts[k]!);
      at += counts[k]!;
      r.sent += counts[k]!;
      const failed = mine.find((e) => e !== undefined && !isGoneErrno(e));
      if (failed !== undefined)
        throw new HostnetError(
          "netlink",
          `delete rule pref ${r.rule.priority}: Request rejected: ${failed}`,
          failed,
        );
      // All deleted: there may be more.
      return mine.every((e) => e === undefined) && r.sent < MAX_DELETES;
    });
  }
}
const MAX_DELETES = 64;

/** Takes the host veth out of service; its deletion may finish later (veth-reaper.ts). */
export type RetireHostVeth = (link: { index: number; name: string }) => Promise<void>;

export async function delPod(host: Rtnl, spec: PodNetworkSpec, retire?: RetireHostVeth): Promise<void> {
  const ip32 = `${spec.podIp}/32`;
  // The rules and the host end's lookup go out together (pipelined on one socket).
  const [, hostLink] = await Promise.all([
    deleteAllRules(host, [
      { rule: { priority: TO_POD_RULE_PRIORITY, table: RT_TABLE_MAIN, dst: ip32 }, expected: 1 },
      // table 0 = any and no dst = any dst: removes every from-rule of this
      // pod, even when the caller no longer knows the ENI table or the CIDRs.
      {
        rule: { priority: FROM_POD_RULE_PRIORITY, table: spec.eniTable ?? 0, src: ip32 },
        expected: fromRules(spec).length,
      },
    ]),
    host.linkByName(spec.hostVethName),
  ]);
  if (hostLink) {
    // Explicitly: after the netns is deleted the kernel keeps the host end for
    // 1-2 s. The route's delete and the retire's requests go out together.
    await Promise.all([
      host.deleteRoute({ dst: ip32, oif: hostLink.index, table: RT_TABLE_MAIN, scope: "link" }),
      retire ? retire(hostLink) : host.deleteLinkByName(spec.hostVethName),
    ]);
    return;
  }
  // No host end: the pod end cannot be a live pair either, unless something
  // renamed the host end. Remove our interface in the pod if the netns is still there.
  let pod: ReturnType<typeof openPodNetns>;
  try {
    pod = openPodNetns(spec.netnsPath);
  } catch (err) {
    // Gone, or not a pod's namespace at all (the node's own): nothing of ours to remove in it.
    if (err instanceof HostnetError && (err.kind === "no-netns" || err.kind === "invalid")) return;
    throw err;
  }
  try {
    const podNl = openRtnlIn(pod.fd);
    try {
      const link = await podNl.linkByName(spec.ifName);
      if (link?.kind === "veth") await podNl.deleteLinkByName(spec.ifName);
    } finally {
      podNl.close();
    }
  } catch (err) {
    if (err instanceof HostnetError && err.kind === "no-netns") return;
    throw err;
  } finally {
    pod.close();
  }
}
