// The pool loop: observe -> plan -> execute, one round at a time. Rounds run
// on the reconcile timer (with an IMDS/EC2 resync) and on demand (an ADD
// that found no free address wakes it at once, without a resync). A wake
// during a round queues exactly one more round; rounds never overlap, so the
// executor and reconcile never see each other's half-done work.
import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { Datastore } from "../datastore/datastore.ts";
import { reconcile } from "../datastore/reconcile.ts";
import type { ObservedEni } from "../datastore/types.ts";
import type { Logger } from "../log.ts";
import type { IpamdMetrics } from "../metrics/metrics.ts";
import { exhaustionReason, plan } from "../planner/plan.ts";
import type { PlanAction, PlannerInput, PlanResult, Shortfall } from "../planner/types.ts";
import type { Observation } from "../recovery/observe.ts";
import type { EniHost } from "./eni-host.ts";
import type { Executor } from "./executor.ts";
import { type PoolState, plannerInput, poolSnapshot, trustObservation } from "./input.ts";
import { type FailureEffect, failureEffect, isGrowth } from "./outcome.ts";

/** IMDS lags EC2 by seconds (up to a minute seen on AWS): trust ourselves that long. */
export const OBSERVATION_TRUST_WINDOW_MS = 60_000;
/** Plan/execute passes per round: growth may need a few (one ENI per pass). */
const MAX_PASSES = 8;

export interface PoolLoopDeps {
  ds: Datastore;
  executor: Executor;
  host: EniHost;
  ec2: Pick<Ec2Api, "describeSubnets">;
  observe: () => Promise<Observation>;
  /** Extra housekeeping at each resync (recovered placeholders whose pod is gone). */
  sweep?: () => Promise<void>;
  state: PoolState;
  /** DISABLE_NETWORK_RESOURCE_PROVISIONING: plan (for metrics and reasons) but never act. */
  provisioning: boolean;
  instanceId: string;
  intervalMs: number;
  metrics: IpamdMetrics;
  log: Logger;
  now?: () => number;
  /** Every failed growth/shrink action, with what it means (Kubernetes Events and NodeIPAM status). */
  onActionFailed?: (action: PlanAction, effect: FailureEffect, err: unknown) => void;
}

/** Pod addresses a growth action asks for (0 for shrinking). */
export function addressesOf(a: PlanAction): number {
  if (a.kind === "assign-ips") return a.count;
  if (a.kind === "assign-prefixes") return a.count * 16;
  if (a.kind === "create-eni") return a.ipCount + a.prefixCount * 16;
  return 0;
}

export class PoolLoop {
  readonly #d: PoolLoopDeps;
  readonly #now: () => number;
  readonly #touched = new Map<string, number>();
  #running: Promise<void> | undefined;
  #again: { resync: boolean } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #last: { input: PlannerInput; result: PlanResult } | undefined;
  /** What EC2 itself refused (limit / subnet-full) until growth succeeds again. */
  #ec2Shortfall: Shortfall | undefined;
  #lastOkMs = 0;
  /** Addresses requested by the growth action running right now. */
  #inFlight = 0;

  constructor(d: PoolLoopDeps) {
    this.#d = d;
    this.#now = d.now ?? Date.now;
  }

  get lastPlan(): PlanResult | undefined {
    return this.#last?.result;
  }

  get lastSuccessMs(): number {
    return this.#lastOkMs;
  }

  /** An ADD found no address: count the waiting pod and run a round now. */
  wake(): void {
    this.#d.state.pendingDemand++;
    void this.kick(false);
  }

  /** The plan if one more pod were waiting now. Pure planning; no EC2. */
  #planWithOneMore(nowMs: number): { input: PlannerInput; result: PlanResult } {
    const { ds, state } = this.#d;
    const input = plannerInput(
      { ...state, pendingDemand: state.pendingDemand + 1 },
      ds.toPlannerEnis(nowMs),
      nowMs,
    );
    return { input, result: plan(input) };
  }

  /**
   * Why the pool cannot cover one more pod, when it really cannot grow: EC2's
   * last refusal (limit, subnet full), else the planner's shortfall when the
   * plan has no growth left to try. Undefined while the pool can still grow
   * (an action in flight, or one the next round will run): a pod waiting on
   * that is a transient shortage, not exhaustion — no Event, no
   * IPAMExhausted condition for it.
   */
  shortfallNow(nowMs: number): Shortfall | undefined {
    if (this.#ec2Shortfall) return this.#ec2Shortfall;
    if (this.#inFlight > 0) return undefined;
    const { result } = this.#planWithOneMore(nowMs);
    if (result.actions.some(isGrowth)) return undefined;
    return result.shortfall;
  }

  /** Why an ADD finds no address right now, with numbers. Pure planning; no EC2. */
  explainShortage(nowMs: number): string {
    const { state, instanceId } = this.#d;
    const { input, result } = this.#planWithOneMore(nowMs);
    let why = this.#ec2Shortfall?.message ?? exhaustionReason(input, result);
    // The planner sees only what has landed; say what is being added right now.
    if (this.#inFlight > 0) why += `; ${this.#inFlight} addresses are being added by EC2 right now`;
    const verb = this.#d.provisioning
      ? ""
      : " (DISABLE_NETWORK_RESOURCE_PROVISIONING=true: ipamd does not add addresses)";
    return `node ${instanceId} (${state.limits.instanceType}): ${why}${verb}`;
  }

  /** Runs a round now, or once more after the one in progress. Never rejects. */
  kick(resync: boolean): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = { resync: resync || (this.#again?.resync ?? false) };
      return this.#running;
    }
    this.#running = (async () => {
      let next: { resync: boolean } | undefined = { resync };
      while (next !== undefined && !this.#stopped) {
        this.#again = undefined;
        await this.#round(next.resync).catch((e: unknown) =>
          this.#d.log.error({ err: (e as Error).message }, "pool round failed"),
        );
        next = this.#again;
      }
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  start(): void {
    const tick = () => {
      void this.kick(true).finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#d.intervalMs).unref();
      });
    };
    this.#timer = setTimeout(tick, this.#d.intervalMs).unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #currentView(): ObservedEni[] {
    const { ds } = this.#d;
    return ds.enis().map((e) => ({ ...e, ...ds.ipsOf(e.id) }));
  }

  async #resync(): Promise<void> {
    const { ds, log, state } = this.#d;
    const now = this.#now();
    await this.#d.sweep?.().catch((e: unknown) => log.warn({ err: (e as Error).message }, "sweep failed"));
    const obs = await this.#d.observe();
    const trusted = trustObservation(
      obs.pool,
      this.#currentView(),
      this.#touched,
      now,
      OBSERVATION_TRUST_WINDOW_MS,
    );
    const before = new Map(ds.enis().map((e) => [e.id, e]));
    const report = reconcile(ds, trusted);
    // An ENI that vanished behind our back (detached through EC2) keeps its
    // host rule `from <its primary IP> lookup <table>` until someone removes
    // it: once EC2 hands that address to a pod, the stale rule would route
    // the pod through a dead table. Torn down before any added ENI is set up,
    // since a new ENI may take the same device index (and table).
    for (const id of report.removedEnis) {
      const info = before.get(id);
      if (info)
        await this.#d.host
          .teardown(info)
          .catch((e: unknown) =>
            log.error({ eniId: id, err: (e as Error).message }, "vanished ENI host teardown failed"),
          );
    }
    for (const id of report.addedEnis) {
      const info = ds.eni(id);
      if (info)
        await this.#d.host
          .setup(info)
          .catch((e: unknown) =>
            log.error({ eniId: id, err: (e as Error).message }, "ENI host setup failed"),
          );
    }
    const changed =
      report.addedEnis.length + report.removedEnis.length + report.addedIps.length + report.removedIps.length;
    if (changed > 0 || report.orphaned.length > 0) {
      log.warn(
        {
          addedEnis: report.addedEnis,
          removedEnis: report.removedEnis,
          addedIps: report.addedIps.length,
          removedIps: report.removedIps.length,
          orphaned: report.orphaned.map((a) => ({ ip: a.ip, pod: a.pod, containerId: a.key.containerId })),
        },
        "datastore differed from IMDS/EC2",
      );
    }
    try {
      const [sn] = await this.#d.ec2.describeSubnets([state.subnet.id]);
      if (sn) state.subnet.availableIpAddressCount = sn.availableIpAddressCount;
    } catch (e) {
      log.debug({ err: (e as Error).message }, "DescribeSubnets failed; planning without the subnet's count");
    }
  }

  async #round(resync: boolean): Promise<void> {
    const { ds, state, log, metrics } = this.#d;
    let clean = true;
    if (resync) await this.#resync();
    for (let pass = 0; pass < MAX_PASSES && !this.#stopped; pass++) {
      const now = this.#now();
      const input = plannerInput(state, ds.toPlannerEnis(now), now);
      const result = plan(input);
      state.pendingDemand = 0;
      this.#last = { input, result };
      if (result.actions.length === 0 || !this.#d.provisioning) break;
      metrics.plannedActions(result.actions);
      log.info({ actions: result.actions, deficit: result.deficit }, "pool plan");
      let grew = false;
      let stopGrowth = false;
      let stopRound = false;
      for (const a of result.actions) {
        if (stopGrowth && isGrowth(a)) continue;
        this.#inFlight = addressesOf(a);
        try {
          const done = await this.#d.executor.apply(a);
          for (const id of done.touched) this.#touched.set(id, this.#now());
          if (done.scaledDown) state.lastScaleDownMs = this.#now();
          if (isGrowth(a)) {
            grew = true;
            this.#ec2Shortfall = undefined;
          }
        } catch (e) {
          clean = false;
          const eff = failureEffect(a, e, {
            instanceId: this.#d.instanceId,
            instanceType: state.limits.instanceType,
            subnetId: state.subnet.id,
            missing: result.deficit,
          });
          metrics.actionFailed(a.kind, eff.errorKind);
          log.warn({ action: a, kind: eff.errorKind, err: (e as Error).message }, "pool action failed");
          if (eff.shortfall) this.#ec2Shortfall = eff.shortfall;
          if (eff.subnetExhausted)
            state.subnet.exhaustedUntilMs = this.#now() + state.settings.subnetBackoffMs;
          this.#d.onActionFailed?.(a, eff, e);
          stopGrowth ||= eff.stopGrowth;
          if (eff.stopRound) {
            stopRound = true;
            break;
          }
        } finally {
          this.#inFlight = 0;
        }
      }
      if (stopRound || !grew) break;
    }
    metrics.setPool(poolSnapshot(ds.counts(this.#now()), state, this.#last?.result));
    if (clean) {
      this.#lastOkMs = this.#now();
      metrics.reconcileSucceeded(this.#lastOkMs);
    }
  }
}
