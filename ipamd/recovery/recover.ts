// Start-up: rebuild the datastore from what the instance really has (IMDS +
// EC2, see observe.ts) and who held what (the checkpoint).
//  - An assignment whose address neither IMDS nor EC2 shows any more is
//    reported and dropped: that pod's address is gone from the VPC anyway.
//  - One whose address only one source shows (lag) is kept; it is never
//    handed out while the assignment lives.
//  - A missing or corrupt checkpoint is reported (log + metric), the corrupt
//    files are kept aside for forensics, and ipamd starts from EC2's state:
//    never a crash loop. When only the newest of its two slots is unreadable
//    the older one is used, and host routes are scanned as for a lost one.
//  - Secondary ENIs' host links are set up again (idempotent).
import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { ImdsApi } from "../../cloud/imds/types.ts";
import { podRuleTables } from "../api/pod-spec.ts";
import type { Checkpoint } from "../datastore/checkpoint.ts";
import type { DurableDatastore } from "../datastore/durable.ts";
import { reconcile } from "../datastore/reconcile.ts";
import type { Assignment } from "../datastore/types.ts";
import type { EniHost } from "../executor/eni-host.ts";
import { syncPodRules } from "../hostnet/pod-rules.ts";
import type { Rtnl } from "../hostnet/rtnl.ts";
import type { Logger } from "../log.ts";
import type { IpamdMetrics } from "../metrics/metrics.ts";
import { type HostPod, holdHostPods } from "./host-scan.ts";
import { observe, ownsAddress } from "./observe.ts";
import { ruleProtectedIps, staleEniRules, stalePodRules } from "./stale-rules.ts";

export interface RecoveryDeps {
  imds: ImdsApi;
  ec2: Ec2Api;
  durable: DurableDatastore;
  checkpoint: Checkpoint;
  host: EniHost;
  /**
   * The node namespace's rules: those of ENIs that vanished while ipamd was
   * down are removed; pods' from-rules are pointed at their address's ENI now.
   */
  hostRules?: Pick<Rtnl, "rules" | "addRule" | "deleteRule">;
  /** A pod from-rule ipamd adds names these destinations (SNAT on the node: api/pod-spec.ts); undefined: any. */
  podRuleDestinations?: readonly string[];
  /** In-use pod addresses found on the host (routes to pod veths); used when the checkpoint is lost. */
  scanHostPods: () => Promise<HostPod[]>;
  instanceId: string;
  metrics: IpamdMetrics;
  log: Logger;
  now?: () => number;
}

export interface RecoveryReport {
  enis: number;
  addresses: number;
  checkpoint: "ok" | "missing" | "corrupt" | "older-slot";
  restored: number;
  dropped: Assignment[];
  /** Kept although their address is not in the pool right now (one source lags). */
  orphaned: Assignment[];
  conflicts: Assignment[];
  /** Placeholders for addresses host routes show in use (checkpoint missing/corrupt only). */
  recoveredFromHost: Assignment[];
  hostSetupFailures: string[];
}

export async function recover(d: RecoveryDeps): Promise<RecoveryReport> {
  const { durable, log, metrics } = d;
  const ds = durable.ds;
  const now = (d.now ?? Date.now)();
  const obs = await observe(d.imds, d.ec2, d.instanceId, now);
  if (obs.ec2Error)
    log.warn({ err: obs.ec2Error.message }, "EC2 unavailable at start: using IMDS's view alone");
  for (const s of obs.skipped) log.info(s, "ENI not used for pods");
  reconcile(ds, obs.pool);

  const loaded = await d.checkpoint.load();
  let checkpoint: RecoveryReport["checkpoint"] = "ok";
  let state = { assignments: [] as Assignment[], cooldowns: [] as { ip: string; untilMs: number }[] };
  if (loaded.ok) {
    state = loaded.state;
    if (loaded.warning !== undefined) {
      checkpoint = "missing";
      metrics.checkpointError("missing");
      log.warn({ file: d.checkpoint.file }, loaded.warning);
    } else if (loaded.olderSlot !== undefined) {
      // Usually a save torn by a crash (never answered, so the older state is
      // right); if it was damage instead, the host scan below covers the one
      // change the older slot may lack.
      checkpoint = "older-slot";
      metrics.checkpointError("older-slot");
      log.warn({ file: d.checkpoint.file }, loaded.olderSlot);
    }
  } else {
    checkpoint = "corrupt";
    metrics.checkpointError("corrupt");
    const aside = await d.checkpoint.setAside(`bad-${now}`);
    log.error(
      { err: loaded.error.message, keptAs: aside },
      "checkpoint unreadable: starting from EC2's state; live pods' addresses are taken from host routes",
    );
  }

  const r = ds.restore(state, now);
  const dropped: Assignment[] = [];
  const orphaned: Assignment[] = [];
  for (const a of r.orphaned) {
    if (ownsAddress(obs.owned, a.ip)) {
      orphaned.push(a);
      continue;
    }
    ds.unassign(a.key);
    dropped.push(a);
  }
  metrics.droppedAtRecovery(dropped.length);
  for (const a of dropped) {
    log.warn(
      { ip: a.ip, pod: a.pod, containerId: a.key.containerId },
      "assignment dropped: the instance no longer owns its address",
    );
  }
  for (const a of r.conflicts) {
    log.error(
      { ip: a.ip, pod: a.pod, containerId: a.key.containerId },
      "checkpoint had two holders for one address; kept the older",
    );
  }

  // Without a (complete) checkpoint, live pods are still on the host: hold their addresses.
  let recoveredFromHost: Assignment[] = [];
  /** False when the checkpoint was lost and the host scan failed: which addresses live pods hold is unknown. */
  let heldKnown = true;
  if (checkpoint !== "ok") {
    try {
      recoveredFromHost = holdHostPods(ds, await d.scanHostPods(), now);
      if (recoveredFromHost.length > 0) {
        log.warn(
          { held: recoveredFromHost.map((a) => ({ ip: a.ip, hostVeth: a.hostVeth })) },
          "checkpoint lost: holding addresses that host routes show in use",
        );
      }
    } catch (e) {
      heldKnown = false;
      log.error({ err: (e as Error).message }, "could not scan the host for live pods");
    }
  }

  const hostSetupFailures: string[] = [];
  for (const eni of ds.enis()) {
    if (eni.primary) continue;
    try {
      await d.host.setup(eni);
    } catch (e) {
      hostSetupFailures.push(eni.id);
      log.error({ eniId: eni.id, err: (e as Error).message }, "ENI host setup failed at start");
    }
  }

  if (d.hostRules !== undefined) {
    // Rules are removed for addresses ipamd does not hold: only when it knows
    // what live pods hold, or it would cut their routing.
    if (!heldKnown) log.error("live pods' addresses unknown: stale ENI and pod rules left in place");
    else
      try {
        const untouchable = ruleProtectedIps(ds.enis(), await d.imds.enis());
        const held = new Set(ds.assignments().map((a) => a.ip));
        const rules = await d.hostRules.rules();
        for (const r of staleEniRules(rules, untouchable, held)) {
          await d.hostRules.deleteRule({ priority: r.priority ?? 0, table: r.table, src: r.src });
          log.warn({ rule: r }, "removed the rule of an ENI no longer attached");
        }
        for (const r of stalePodRules(rules, held)) {
          await d.hostRules.deleteRule({ priority: r.priority ?? 0, table: r.table, src: r.src, dst: r.dst });
          log.warn({ rule: r }, "removed the rule of a pod address ipamd no longer holds");
        }
      } catch (e) {
        log.error({ err: (e as Error).message }, "could not remove stale ENI or pod rules");
      }
    try {
      // EC2 may have moved a pod's address to another ENI while ipamd was
      // down (reconcile above followed it in the datastore). No ADD runs yet,
      // so a held address with no from-rule at all gets one too.
      const fixes = await syncPodRules(
        d.hostRules,
        podRuleTables(ds.assignments(), (id) => ds.eni(id)),
        d.podRuleDestinations,
      );
      if (fixes.remove.length + fixes.add.length > 0)
        log.warn({ removed: fixes.remove, added: fixes.add }, "pod rules pointed at their addresses' ENIs");
    } catch (e) {
      log.error({ err: (e as Error).message }, "could not check the pods' rules");
    }
  }

  // Write the cleaned state now, so a corrupt file is replaced at once.
  const saved = await durable.persist();
  if (!saved.ok) {
    metrics.checkpointError("write");
    log.error({ err: saved.error.message }, "checkpoint write failed at start");
  }
  const counts = ds.counts(now);
  const report: RecoveryReport = {
    enis: counts.enis,
    addresses: counts.total,
    checkpoint,
    restored: r.restored - dropped.length,
    dropped,
    orphaned,
    conflicts: r.conflicts,
    recoveredFromHost,
    hostSetupFailures,
  };
  log.info(
    {
      enis: report.enis,
      addresses: report.addresses,
      checkpoint,
      restored: report.restored,
      dropped: dropped.length,
      orphaned: orphaned.length,
      recoveredFromHost: recoveredFromHost.length,
    },
    "recovered state",
  );
  return report;
}
