// After a resync's reconcile: the node's host side follows what changed in
// EC2 behind ipamd's back. The datastore already did (reconcile.ts); this is
// the netlink part, kept out of the pool loop.
import { podRuleTables } from "../api/pod-spec.ts";
import type { Datastore } from "../datastore/datastore.ts";
import type { EniInfo, ReconcileReport } from "../datastore/types.ts";
import { syncPodRules } from "../hostnet/pod-rules.ts";
import type { Rtnl } from "../hostnet/rtnl.ts";
import type { Logger } from "../log.ts";
import type { EniHost } from "./eni-host.ts";

export interface HostFollowDeps {
  ds: Datastore;
  host: EniHost;
  /** The node's rules; without them moved pods are only logged. */
  hostRules?: Pick<Rtnl, "rules" | "addRule" | "deleteRule">;
  /** A pod from-rule ipamd adds names these destinations (SNAT on the node: api/pod-spec.ts); undefined: any. */
  podRuleDestinations?: readonly string[];
  log: Logger;
}

/**
 * `before`: the ENIs the datastore held before reconcile (a vanished one is
 * gone from it by now). Never throws: each failure is logged, the rest goes on.
 */
export async function followOnHost(
  d: HostFollowDeps,
  report: ReconcileReport,
  before: ReadonlyMap<string, EniInfo>,
): Promise<void> {
  const { ds, host, log } = d;
  // An ENI that vanished behind our back (detached through EC2) keeps its
  // host rule `from <its primary IP> lookup <table>` until someone removes
  // it: once EC2 hands that address to a pod, the stale rule would route
  // the pod through a dead table. Torn down before any added ENI is set up,
  // since a new ENI may take the same device index (and table).
  for (const id of report.removedEnis) {
    const info = before.get(id);
    if (info)
      await host
        .teardown(info)
        .catch((e: unknown) =>
          log.error({ eniId: id, err: (e as Error).message }, "vanished ENI host teardown failed"),
        );
  }
  for (const id of report.addedEnis) {
    const info = ds.eni(id);
    if (info)
      await host
        .setup(info)
        .catch((e: unknown) => log.error({ eniId: id, err: (e as Error).message }, "ENI host setup failed"));
  }
  if (report.moved.length > 0) await repointMoved(d, report.moved);
}

/** Addresses EC2 moved to another ENI of this node: their pods' from-rules follow (hostnet/pod-rules.ts). */
async function repointMoved(d: HostFollowDeps, moved: ReconcileReport["moved"]): Promise<void> {
  const { ds, log, hostRules } = d;
  const pods = moved.map((m) => ({ ip: m.ip, from: m.from, to: m.to, containerId: m.key.containerId }));
  if (hostRules === undefined) {
    log.warn({ moved: pods }, "pod addresses moved to another ENI");
    return;
  }
  try {
    const want = podRuleTables(
      moved.map((m) => ({ ip: m.ip, eniId: m.to })),
      (id) => ds.eni(id),
    );
    const fixes = await syncPodRules(hostRules, want, d.podRuleDestinations);
    log.warn(
      { moved: pods, rulesRemoved: fixes.remove, rulesAdded: fixes.add },
      "pod addresses moved to another ENI: their rules follow",
    );
  } catch (e) {
    log.error(
      { moved: pods, err: (e as Error).message },
      "pod addresses moved to another ENI: could not update their rules",
    );
  }
}
