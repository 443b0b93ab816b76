// DEL for one pod: idempotent, and works when the pod's netns is already gone.
import { openPodNetns, openRtnlIn } from "./netns.ts";
import { RT_TABLE_MAIN, type Rtnl, type RuleSpec } from "./rtnl.ts";
import { FROM_POD_RULE_PRIORITY, TO_POD_RULE_PRIORITY } from "./spec.ts";
import { HostnetError, type PodNetworkSpec } from "./types.ts";

/** Deletes every rule matching `rule` (one per VPC CIDR, or duplicates left by other tools); bounded. */
async function deleteAllRules(host: Rtnl, rule: RuleSpec): Promise<void> {
  for (let i = 0; i < 64 && (await host.deleteRule(rule)); i++);
}

/** Takes the host veth out of service; its deletion may finish later (veth-reaper.ts). */
export type RetireHostVeth = (link: { index: number; name: string }) => Promise<void>;

export async function delPod(host: Rtnl, spec: PodNetworkSpec, retire?: RetireHostVeth): Promise<void> {
  const ip32 = `${spec.podIp}/32`;
  await deleteAllRules(host, { priority: TO_POD_RULE_PRIORITY, table: RT_TABLE_MAIN, dst: ip32 });
  // table 0 = any and no dst = any dst: one loop removes every from-rule of
  // this pod, even when the caller no longer knows the ENI table or the CIDRs.
  await deleteAllRules(host, { priority: FROM_POD_RULE_PRIORITY, table: spec.eniTable ?? 0, src: ip32 });

  const hostLink = await host.linkByName(spec.hostVethName);
  if (hostLink) {
    await host.deleteRoute({ dst: ip32, oif: hostLink.index, table: RT_TABLE_MAIN, scope: "link" });
    // Explicitly: after the netns is deleted the kernel keeps the host end for 1-2 s.
    if (retire) await retire(hostLink);
    else await host.deleteLinkByName(spec.hostVethName);
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
