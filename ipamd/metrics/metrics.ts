// Every metric ipamd exports, in one registry of its own (never prom-client's
// global one, so two daemons in one test process do not collide). Names are
// prefixed vpccni_. Pool gauges are set from a snapshot after each change
// and each reconcile round, and at every scrape from the pool source.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Ec2CallRecord } from "../../cloud/ec2/types.ts";
import type { PlanAction } from "../planner/types.ts";

export interface PoolSnapshot {
  /** Pod addresses held (secondary IPs + prefix addresses). */
  total: number;
  assigned: number;
  available: number;
  cooldown: number;
  enis: number;
  maxEnis: number;
  prefixes: number;
  /** Free addresses the warm targets ask for beyond what is held. */
  deficit: number;
  /** Pod addresses the node can hold at its instance limit (not kubelet's max-pods). */
  maxAddresses: number;
}

// Pod set-up is ~2 ms when warm; EC2 calls are 50 ms-seconds. Buckets cover both.
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** older-slot: the newest checkpoint slot was unreadable at start (a save torn by a crash, or damage). */
export type CheckpointErrorKind = "missing" | "corrupt" | "older-slot" | "write";

export class IpamdMetrics {
  readonly registry = new Registry();
  private readonly pool: Record<keyof PoolSnapshot, Gauge>;
  private readonly maxPods: Gauge;
  private readonly ec2Calls: Counter<"action" | "outcome">;
  private readonly ec2Latency: Histogram<"action">;
  private readonly ec2Throttles: Counter<"action">;
  private readonly ec2Errors: Counter<"action" | "kind">;
  private readonly cniLatency: Histogram<"op" | "outcome">;
  private readonly plannerActions: Counter<"kind">;
  private readonly actionFailures: Counter<"kind" | "error">;
  private readonly lastReconcile: Gauge;
  private readonly checkpointErrors: Counter<"kind">;
  private readonly recoveryDropped: Counter;
  private readonly leakedEnisDeleted: Counter;
  private readonly gonePodsReleased: Counter;
  private readonly addsHeld: Gauge;
  private readonly addsHeldEnded: Counter<"outcome">;
  private lastReconcileMs = 0;

  constructor(now: () => number = Date.now) {
    const r = [this.registry];
    const g = (name: string, help: string) => new Gauge({ name: `vpccni_${name}`, help, registers: r });
    this.pool = {
      total: g("addresses_total", "Pod addresses held by this node (secondary IPs and prefix addresses)"),
      assigned: g("addresses_assigned", "Pod addresses given to pods"),
      available: g("addresses_available", "Pod addresses free to hand out now"),
      cooldown: g("addresses_cooldown", "Released pod addresses waiting out their cooldown"),
      enis: g("enis_attached", "ENIs attached to this node"),
      maxEnis: g("enis_max", "ENIs this node may attach (instance limit, MAX_ENI applied)"),
      prefixes: g("prefixes_total", "Delegated /28 prefixes held"),
      deficit: g("pool_deficit", "Free addresses the warm targets ask for beyond what is held"),
      maxAddresses: g("addresses_max", "Pod addresses this node can hold at its instance limit"),
    };
    this.maxPods = g(
      "max_pods",
      "kubelet max-pods for this instance type and mode: ENIs x (IPs per ENI - 1) + 2, capped as EKS does",
    );
    this.ec2Calls = new Counter({
      name: "vpccni_ec2_calls_total",
      help: "EC2 API calls by action and outcome (retries counted once)",
      labelNames: ["action", "outcome"],
      registers: r,
    });
    this.ec2Latency = new Histogram({
      name: "vpccni_ec2_call_duration_seconds",
      help: "EC2 API call latency, retries included",
      labelNames: ["action"],
      buckets: LATENCY_BUCKETS_S,
      registers: r,
    });
    this.ec2Throttles = new Counter({
      name: "vpccni_ec2_throttled_total",
      help: "EC2 attempts answered RequestLimitExceeded",
      labelNames: ["action"],
      registers: r,
    });
    this.ec2Errors = new Counter({
      name: "vpccni_ec2_errors_total",
      help: "EC2 calls that failed after retries, by kind",
      labelNames: ["action", "kind"],
      registers: r,
    });
    this.cniLatency = new Histogram({
      name: "vpccni_cni_request_duration_seconds",
      help: "Plugin request latency inside ipamd (ADD, DEL, CHECK, GC)",
      labelNames: ["op", "outcome"],
      buckets: LATENCY_BUCKETS_S,
      registers: r,
    });
    this.plannerActions = new Counter({
      name: "vpccni_planner_actions_total",
      help: "Pool actions the planner asked for, by kind",
      labelNames: ["kind"],
      registers: r,
    });
    this.actionFailures = new Counter({
      name: "vpccni_pool_action_failures_total",
      help: "Pool actions that failed, by kind and error kind",
      labelNames: ["kind", "error"],
      registers: r,
    });
    this.lastReconcile = new Gauge({
      name: "vpccni_seconds_since_last_reconcile",
      help: "Seconds since the last pool round that finished without error (-1: none yet)",
      registers: r,
      collect: () => {
        this.lastReconcile.set(this.lastReconcileMs === 0 ? -1 : (now() - this.lastReconcileMs) / 1000);
      },
    });
    this.checkpointErrors = new Counter({
      name: "vpccni_checkpoint_errors_total",
      help: "Checkpoint problems: missing, corrupt or only the older slot readable at start; failed writes",
      labelNames: ["kind"],
      registers: r,
    });
    this.recoveryDropped = new Counter({
      name: "vpccni_recovery_dropped_assignments_total",
      help: "Checkpointed assignments dropped at start because the instance no longer owns the address",
      registers: r,
    });
    this.leakedEnisDeleted = new Counter({
      name: "vpccni_leaked_enis_deleted_total",
      help: "Detached ENIs of this cluster deleted by the leak cleaner",
      registers: r,
    });
    this.gonePodsReleased = new Counter({
      name: "vpccni_gone_pods_released_total",
      help: "Addresses released because their pod's netns and host veth were gone (a DEL that never reached ipamd)",
      registers: r,
    });
    this.addsHeld = g(
      "adds_held",
      "ADDs held right now: no free address when they came, waiting for the pool to grow (VPC_CNI_ADD_WAIT_SECONDS)",
    );
    this.addsHeldEnded = new Counter({
      name: "vpccni_adds_held_total",
      help: "Held ADDs by how the wait ended: assigned (an address landed), gave-up (budget spent or the pool can no longer grow: answered try-again), client-gone (the plugin hung up)",
      labelNames: ["outcome"],
      registers: r,
    });
  }

  #poolSource: (() => PoolSnapshot) | undefined;

  /** Pool gauges are refreshed from this at every scrape (cheap: one pass over the addresses). */
  /** Set once at start: the value kubelet's --max-pods should have on this node. */
  setMaxPods(n: number): void {
    this.maxPods.set(n);
  }

  setPoolSource(fn: () => PoolSnapshot): void {
    this.#poolSource = fn;
  }

  /** The exposition text, pool gauges refreshed first. */
  async render(): Promise<string> {
    if (this.#poolSource) this.setPool(this.#poolSource());
    return this.registry.metrics();
  }

  setPool(s: PoolSnapshot): void {
    for (const k of Object.keys(this.pool) as (keyof PoolSnapshot)[]) this.pool[k].set(s[k]);
  }

  /** Pass as the EC2 facade's onCall. */
  readonly onEc2Call = (rec: Ec2CallRecord): void => {
    this.ec2Calls.inc({ action: rec.action, outcome: rec.outcome });
    this.ec2Latency.observe({ action: rec.action }, rec.latencyMs / 1000);
    if (rec.throttled > 0) this.ec2Throttles.inc({ action: rec.action }, rec.throttled);
    if (rec.outcome !== "ok") this.ec2Errors.inc({ action: rec.action, kind: rec.outcome });
  };

  observeRequest(op: string, ok: boolean, ms: number): void {
    this.cniLatency.observe({ op, outcome: ok ? "ok" : "error" }, ms / 1000);
  }

  plannedActions(actions: readonly PlanAction[]): void {
    for (const a of actions) this.plannerActions.inc({ kind: a.kind });
  }

  actionFailed(kind: PlanAction["kind"], error: string): void {
    this.actionFailures.inc({ kind, error });
  }

  reconcileSucceeded(atMs: number): void {
    this.lastReconcileMs = atMs;
  }

  checkpointError(kind: CheckpointErrorKind): void {
    this.checkpointErrors.inc({ kind });
  }

  droppedAtRecovery(n: number): void {
    if (n > 0) this.recoveryDropped.inc(n);
  }

  leakedEniDeleted(): void {
    this.leakedEnisDeleted.inc();
  }

  gonePodReleased(): void {
    this.gonePodsReleased.inc();
  }

  /** An ADD starts waiting for the pool to grow. */
  addHeld(): void {
    this.addsHeld.inc();
  }

  addHeldEnded(outcome: HeldAddOutcome): void {
    this.addsHeld.dec();
    this.addsHeldEnded.inc({ outcome });
  }
}

export type HeldAddOutcome = "assigned" | "gave-up" | "client-gone";
