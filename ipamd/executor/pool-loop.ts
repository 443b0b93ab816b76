// The pool loop: observe -> plan -> execute, one round at a time. Rounds run
// on the reconcile timer (with an IMDS/EC2 resync) and on demand (an ADD
// that found no free address wakes it after DEMAND_COALESCE_MS, so a burst of
// concurrent ADDs is planned for in one go, without a resync). A wake during
// a round queues exactly one more round; rounds never overlap, so the
// executor and reconcile never see each other's half-done work. Within one
// plan the growth actions (assigns on different ENIs, new ENIs at different
// device indexes) are independent and run concurrently: EC2 attaches in
// parallel, and the attach delay dominates a burst.
import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { AttachmentKey } from "../api/protocol.ts";
import type { Datastore } from "../datastore/datastore.ts";
import { reconcile } from "../datastore/reconcile.ts";
import type { ObservedEni } from "../datastore/types.ts";
import type { Rtnl } from "../hostnet/rtnl.ts";
import type { Logger } from "../log.ts";
import type { IpamdMetrics } from "../metrics/metrics.ts";
import { exhaustionReason, plan } from "../planner/plan.ts";
import type { PlanAction, PlannerInput, PlanResult, Shortfall } from "../planner/types.ts";
import { dropKnownUnmanaged, type Observation } from "../recovery/observe.ts";
import { ActionBatch } from "./batch.ts";
import type { EniHost } from "./eni-host.ts";
import type { ActionDone, Changed, Executor } from "./executor.ts";
import { followOnHost } from "./host-follow.ts";
import {
  type PoolState,
  plannerInput,
  poolSnapshot,
  targetsInFlightEni,
  trustObservation,
  withInFlight,
} from "./input.ts";
import { type FailureEffect, failureEffect, isGrowth } from "./outcome.ts";
import { WaitingPods } from "./waiting-pods.ts";

/** IMDS lags EC2 by seconds (up to a minute seen on AWS): trust our own changes that long (input.ts). */
export const OBSERVATION_TRUST_WINDOW_MS = 60_000;
/** Plan/execute passes per round: growth may need a few (one ENI per pass). */
const MAX_PASSES = 8;
/** A demand wake waits this long so concurrent refused ADDs are planned together. */
export const DEMAND_COALESCE_MS = 5;
/**
 * DescribeSubnets at most this often: the count only bounds how far the pool
 * may grow, and 1,000 nodes asking every minute would take most of the
 * account's Describe budget (20/s). Refreshed early after EC2 says subnet-full.
 */
export const SUBNET_REFRESH_MS = 600_000;
/**
 * After an ADD or DEL changed the pool, a plan-only round runs this much later
 * (one for a whole burst), so the warm targets are restored within half a
 * second and not at the next reconcile tick (VPC_CNI_RECONCILE_INTERVAL_SECONDS,
 * 60 s). Not shorter: the round shares ipamd's one thread with the ADDs, and
 * at 50 ms it cost ADD p50 ~3 % in bench:add (A/B, 2 x 2 runs, 100 pods; at
 * 500 ms no difference was measurable: 1.24x vs 1.27x without any nudge);
 * a pod that finds no address does not wait for it (it wakes the loop at once).
 */
export const NUDGE_MS = 500;

export interface PoolLoopDeps {
  ds: Datastore;
  executor: Executor;
  host: EniHost;
  /** The node's rules: a pod's from-rule follows its address when EC2 moved it to another ENI. */
  hostRules?: Pick<Rtnl, "rules" | "addRule" | "deleteRule">;
  /** A pod from-rule ipamd adds names these destinations (SNAT on the node: api/pod-spec.ts); undefined: any. */
  podRuleDestinations?: readonly string[];
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
  /**
   * Pods known to be on their way (Kubernetes: scheduled here, no address
   * yet): planned for like pods waiting, before their ADDs arrive.
   */
  scheduledDemand?: () => number;
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
  readonly #changed = { enis: new Map<string, number>(), addresses: new Map<string, number>() };
  #running: Promise<void> | undefined;
  #again: { resync: boolean } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #last: { input: PlannerInput; result: PlanResult } | undefined;
  /** What EC2 itself refused (limit / subnet-full) until growth succeeds again. */
  #ec2Shortfall: Shortfall | undefined;
  #lastOkMs = 0;
  /** The growth batch running right now, which demand may top up (#topUp). */
  #growth: ActionBatch | undefined;
  /** A failure in this round said: no more growth (limit, subnet full, ...). */
  #stopGrowth = false;
  readonly #waiting = new WaitingPods();
  #coalesce: NodeJS.Timeout | undefined;
  #nudge: NodeJS.Timeout | undefined;
  /** Held ADDs waiting for the pool to change (see changed()). */
  readonly #changeWaiters = new Set<() => void>();
  #subnetReadMs: number | undefined;
  /** ENIs tagged no_manage when EC2 last answered: kept out when a resync has IMDS alone. */
  #unmanaged = new Set<string>();

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

  /**
   * An ADD found no address: count the pod as waiting (until it gets one, see
   * stillWaiting) and run a round after DEMAND_COALESCE_MS.
   */
  wake(podKey?: AttachmentKey): void {
    this.#waiting.add(podKey, this.#now());
    this.#planSoon();
  }

  /** The scheduled pods changed (see PoolLoopDeps.scheduledDemand): plan as for a waiting ADD. */
  scheduledChanged(): void {
    this.#planSoon();
  }

  #planSoon(): void {
    if (this.#coalesce !== undefined || this.#stopped) return;
    this.#coalesce = setTimeout(() => {
      this.#coalesce = undefined;
      void this.kick(false);
    }, DEMAND_COALESCE_MS);
  }

  /**
   * The pod is no longer waiting: its ADD got an address, or it was deleted.
   * Without this, a pod assigned and deleted between two planning rounds
   * stayed "waiting" for WAITING_POD_TTL_MS and held scale-down back.
   */
  forget(podKey: AttachmentKey): void {
    this.#waiting.forget(podKey);
  }

  /**
   * An ADD took an address or a DEL gave one back: plan again soon (NUDGE_MS,
   * coalesced), without a resync. Planning is pure and cheap; EC2 is called
   * only if the pool is off its targets.
   */
  nudge(): void {
    if (this.#nudge !== undefined || this.#stopped) return;
    this.#nudge = setTimeout(() => {
      this.#nudge = undefined;
      void this.kick(false);
    }, NUDGE_MS);
  }

  /**
   * Resolves when the pool may have gained addresses (a growth action ended,
   * a round ended), after maxMs, or when `abort` fires. Held ADDs re-try then.
   */
  changed(maxMs: number, abort?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort?.removeEventListener("abort", done);
        this.#changeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      abort?.addEventListener("abort", done, { once: true });
      this.#changeWaiters.add(done);
    });
  }

  #notifyChanged(): void {
    for (const w of [...this.#changeWaiters]) w();
  }

  /** Whether a waiting pod may still get an address from growth (see PoolSignals.mayGrow). */
  mayGrow(nowMs: number): boolean {
    return this.#d.provisioning && !this.#stopped && this.shortfallNow(nowMs) === undefined;
  }

  /**
   * Pods waiting now (see WaitingPods), or, when more, the pods scheduled
   * here without an address: the refused ADDs are among those, so the larger
   * of the two, not their sum.
   */
  #pendingNow(nowMs: number): number {
    const refused = this.#waiting.count(nowMs, (key) => this.#d.ds.get(key) !== undefined);
    return Math.max(refused, this.#d.scheduledDemand?.() ?? 0);
  }

  /** The plan if one more pod were waiting now. Pure planning; no EC2. */
  #planWithOneMore(nowMs: number): { input: PlannerInput; result: PlanResult } {
    const { ds, state } = this.#d;
    const input = plannerInput(
      { ...state, pendingDemand: state.pendingDemand + this.#pendingNow(nowMs) + 1 },
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
    if (this.#inFlightAddresses() > 0) return undefined;
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
    const inFlight = this.#inFlightAddresses();
    if (inFlight > 0) why += `; ${inFlight} addresses are being added by EC2 right now`;
    const verb = this.#d.provisioning
      ? ""
      : " (DISABLE_NETWORK_RESOURCE_PROVISIONING=true: ipamd does not add addresses)";
    return `node ${instanceId} (${state.limits.instanceType}): ${why}${verb}`;
  }

  /** Addresses requested by the growth actions running right now. */
  #inFlightAddresses(): number {
    return (this.#growth?.inFlight ?? []).reduce((n, a) => n + addressesOf(a), 0);
  }

  /**
   * Demand while a growth batch runs (an ENI attaching takes seconds): plan
   * on the pool as it will be once that batch lands (withInFlight) and add
   * whatever more it needs to the batch now, instead of after the round.
   * Pure planning; growth only; never onto an ENI still being created.
   */
  #topUp(): void {
    const b = this.#growth;
    if (b === undefined || this.#stopGrowth || this.#stopped || !this.#d.provisioning) return;
    const { ds, state, log, metrics } = this.#d;
    const now = this.#now();
    const waiting = this.#pendingNow(now);
    const enis = withInFlight(ds.toPlannerEnis(now), b.inFlight, now);
    const result = plan(plannerInput({ ...state, pendingDemand: state.pendingDemand + waiting }, enis, now));
    const more = result.actions.filter((a) => isGrowth(a) && !targetsInFlightEni(a));
    if (more.length === 0) return;
    metrics.plannedActions(more);
    log.info(
      { actions: more, deficit: result.deficit, waiting },
      "pool plan (added to the growth in flight)",
    );
    for (const a of more) b.launch(a);
  }

  /** Runs a round now, or once more after the one in progress. Never rejects. */
  kick(resync: boolean): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = { resync: resync || (this.#again?.resync ?? false) };
      if (!resync) this.#topUp();
      return this.#running;
    }
    this.#running = (async () => {
      let next: { resync: boolean } | undefined = { resync };
      while (next !== undefined && !this.#stopped) {
        this.#again = undefined;
        await this.#round(next.resync).catch((e: unknown) =>
          this.#d.log.error({ err: (e as Error).message }, "pool round failed"),
        );
        this.#notifyChanged();
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
    clearTimeout(this.#coalesce);
    clearTimeout(this.#nudge);
    this.#notifyChanged();
    await this.#running;
  }

  /** Records what an action changed; forgets what is past the trust window (the maps stay small). */
  #remember(changed: Changed): void {
    const now = this.#now();
    for (const m of [this.#changed.enis, this.#changed.addresses])
      for (const [k, t] of m) if (now - t >= OBSERVATION_TRUST_WINDOW_MS) m.delete(k);
    for (const id of changed.enis) this.#changed.enis.set(id, now);
    for (const a of changed.addresses) this.#changed.addresses.set(a, now);
  }

  #currentView(): ObservedEni[] {
    const { ds } = this.#d;
    return ds.enis().map((e) => ({ ...e, ...ds.ipsOf(e.id) }));
  }

  async #resync(): Promise<void> {
    const { ds, log, state } = this.#d;
    const now = this.#now();
    await this.#d.sweep?.().catch((e: unknown) => log.warn({ err: (e as Error).message }, "sweep failed"));
    const seen = await this.#d.observe();
    if (!seen.imdsOnly) this.#unmanaged = new Set(seen.unmanaged ?? []);
    const obs = dropKnownUnmanaged(seen, this.#unmanaged);
    const trusted = trustObservation(
      obs.pool,
      this.#currentView(),
      this.#changed,
      now,
      OBSERVATION_TRUST_WINDOW_MS,
    );
    if (obs.reservedDeviceIndexes !== undefined) {
      // Not an ENI the datastore keeps (one ipamd just created, IMDS lagging).
      const ours = new Set(trusted.map((e) => e.deviceIndex));
      state.reservedDeviceIndexes = obs.reservedDeviceIndexes.filter((i) => !ours.has(i));
    }
    const before = new Map(ds.enis().map((e) => [e.id, e]));
    const report = reconcile(ds, trusted);
    await followOnHost(this.#d, report, before);
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
    if (this.#subnetReadMs !== undefined && now - this.#subnetReadMs < SUBNET_REFRESH_MS) return;
    try {
      const [sn] = await this.#d.ec2.describeSubnets([state.subnet.id]);
      if (sn) state.subnet.availableIpAddressCount = sn.availableIpAddressCount;
      this.#subnetReadMs = now;
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
      const waiting = this.#pendingNow(now);
      const input = plannerInput(
        { ...state, pendingDemand: state.pendingDemand + waiting },
        ds.toPlannerEnis(now),
        now,
      );
      const result = plan(input);
      state.pendingDemand = 0;
      this.#last = { input, result };
      if (result.actions.length === 0 || !this.#d.provisioning) break;
      metrics.plannedActions(result.actions);
      log.info({ actions: result.actions, deficit: result.deficit, waiting }, "pool plan");
      const growth = result.actions.filter(isGrowth);
      // A plan grows or shrinks, never both; growth actions touch different
      // ENIs / device indexes, so they run together. Shrinking stays one by one.
      const batches = growth.length === result.actions.length ? [growth] : result.actions.map((a) => [a]);
      let grew = false;
      let stopRound = false;
      this.#stopGrowth = false;
      const onSettled = (a: PlanAction, o: PromiseSettledResult<ActionDone>) => {
        if (o.status === "fulfilled") {
          this.#remember(o.value.changed);
          if (o.value.takenElsewhere !== undefined) {
            // EC2's answer beats our memory of having changed them: the
            // resync right after this round must believe EC2 about these.
            for (const x of o.value.takenElsewhere) this.#changed.addresses.delete(x);
            this.#again = { resync: true };
          }
          if (o.value.scaledDown) state.lastScaleDownMs = this.#now();
          if (isGrowth(a)) {
            grew = true;
            this.#ec2Shortfall = undefined;
          }
        } else {
          clean = false;
          const e = o.reason as unknown;
          const eff = failureEffect(a, e, {
            instanceId: this.#d.instanceId,
            instanceType: state.limits.instanceType,
            subnetId: state.subnet.id,
            missing: result.deficit,
          });
          metrics.actionFailed(a.kind, eff.errorKind);
          log.warn({ action: a, kind: eff.errorKind, err: (e as Error).message }, "pool action failed");
          if (eff.shortfall) this.#ec2Shortfall = eff.shortfall;
          if (eff.subnetExhausted) {
            state.subnet.exhaustedUntilMs = this.#now() + state.settings.subnetBackoffMs;
            this.#subnetReadMs = undefined; // read the real count at the next resync
          }
          this.#d.onActionFailed?.(a, eff, e);
          this.#stopGrowth ||= eff.stopGrowth;
          stopRound ||= eff.stopRound;
        }
        // Held ADDs re-try as soon as this action's addresses are in the datastore.
        this.#notifyChanged();
      };
      for (const batch of batches) {
        const run = batch.filter((a) => !(this.#stopGrowth && isGrowth(a)));
        const b = new ActionBatch((a) => this.#d.executor.apply(a), onSettled);
        // Only a growth batch takes top-ups; a shrink runs alone.
        if (run.every(isGrowth)) this.#growth = b;
        for (const a of run) b.launch(a);
        await b.settled();
        this.#growth = undefined;
        if (stopRound) break;
      }
      if (stopRound || !grew) break;
    }
    metrics.setPool(poolSnapshot(ds.counts(this.#now()), state, this.#last?.result));
    if (clean) {
      this.#lastOkMs = this.#now();
      metrics.reconcileSucceeded(this.#lastOkMs);
    }
    // Deferred housekeeping (DeleteOnTermination) only once the pool needs nothing more.
    if (!this.#stopped && !(this.#last?.result.actions.some(isGrowth) ?? false))
      this.#d.executor.settleLater();
  }
}
