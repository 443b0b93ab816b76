// What each plugin request does to the datastore and the host. The order of
// effects is the crash-safety argument:
//   ADD: assign (memory) -> persist || plumb -> answer once BOTH finished.
//        Crash after persist, before plumb: an assignment whose pod never got
//        an answer; the runtime retries ADD (same key, same address) or DELs.
//        Crash after plumb, before persist: recovery's host scan holds the
//        address from the pod's /32 route (placeholder), never reassigned.
//        Plumbing failure -> unassign + persist; save failure -> unplumb +
//        unassign; nothing left either way.
//   DEL: unplumb -> release into cooldown -> persist -> answer. A crash before
//        persist keeps the address held (never double-assigned); the runtime
//        retries DEL, which is idempotent. Unplumb removes rules and routes
//        and retires the host veth (down + renamed); the kernel's slow veth
//        delete finishes in the background (hostnet/veth-reaper.ts).
// The ADD path never calls EC2: a short pool answers TRY_AGAIN_LATER at once
// and wakes the pool loop.

import type { CheckpointError } from "../datastore/checkpoint.ts";
import { keyString } from "../datastore/datastore.ts";
import type { DurableDatastore } from "../datastore/durable.ts";
import type { Assignment } from "../datastore/types.ts";
import { HostnetError, type PodLinks, type PodNetworkSpec, type PodPlumbing } from "../hostnet/types.ts";
import type { Logger } from "../log.ts";
import type { HeldAddOutcome, IpamdMetrics } from "../metrics/metrics.ts";
import { RECOVERED_NETWORK } from "../recovery/host-scan.ts";
import { KeyedLock } from "./keylock.ts";
import { addResult, podSpec, vethNameFor } from "./pod-spec.ts";
import {
  type AddRequest,
  type AttachmentKey,
  type CheckRequest,
  CNI_ERR,
  type DelRequest,
  type GcRequest,
  type IpamdError,
  type IpamdRequest,
  type IpamdResponse,
} from "./protocol.ts";
import type { RequestHandler } from "./server.ts";

export interface PoolSignals {
  /**
   * An ADD found no free address: plan again now, counting this pod as waiting.
   * The key makes kubelet's retries of the same pod count once.
   */
  wake(podKey: AttachmentKey): void;
  /**
   * The pod got an address or was deleted: it no longer counts as waiting,
   * and the pool may now be off its warm targets (the daemon plans again).
   */
  forget(podKey: AttachmentKey): void;
  /** Why there is no free address, with numbers (from the planner's shortfall). */
  explainShortage(nowMs: number): string;
  /**
   * Whether a waiting pod may still get an address from the pool growing (an
   * action in flight, or one the next round will run). False when the node or
   * subnet is full, or provisioning is off: holding an ADD then only delays its
   * failure.
   */
  mayGrow(nowMs: number): boolean;
  /** Resolves when the pool may have gained addresses (an action or round ended), after maxMs, or on abort. */
  changed(maxMs: number, abort?: AbortSignal): Promise<void>;
}

export interface HandlerDeps {
  /** Mutations that are on disk before they return (group-committed checkpoint). */
  durable: DurableDatastore;
  plumbing: PodPlumbing;
  pool: PoolSignals;
  readiness: () => { ready: boolean; reason?: string };
  metrics: IpamdMetrics;
  log: Logger;
  now?: () => number;
  /** VPC_CNI_ADD_WAIT_SECONDS (ms): cap on holding a refused ADD; absent or 0 never holds. */
  maxAddWaitMs?: number;
  /** Where pods on secondary ENIs use their ENI's table (pod-spec.ts podSpec); absent: everywhere. */
  eniTableDestinations?: readonly string[];
}

const fail = (code: number, msg: string, details?: string): IpamdResponse => ({
  ok: false,
  error: details === undefined ? { code, msg } : { code, msg, details },
});

function plumbingError(e: unknown, what: string): IpamdError {
  if (e instanceof HostnetError) {
    const code =
      e.kind === "exists" || e.kind === "no-netns" || e.kind === "invalid"
        ? CNI_ERR.INVALID_ENV
        : CNI_ERR.IO_FAILURE;
    return { code, msg: `${what}: ${e.message}` };
  }
  return { code: CNI_ERR.INTERNAL, msg: `${what}: ${(e as Error).message}` };
}

interface AddPhases {
  lockMs?: number;
  /** Held while the pool grew (no address was free on arrival). */
  waitMs?: number;
  saveMs?: number;
  plumbMs?: number;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** A held ADD re-tries at least this often (an address leaving cooldown signals nothing). */
const HELD_RECHECK_MS = 250;

/** The request's child logger, made on first use. */
type LazyLog = () => Logger;

export class IpamdHandlers implements RequestHandler {
  readonly #d: HandlerDeps;
  readonly #lock = new KeyedLock();
  readonly #now: () => number;

  constructor(deps: HandlerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  async handle(req: IpamdRequest, gone?: AbortSignal): Promise<IpamdResponse> {
    const t0 = performance.now();
    // The request's log fields; a pino child logger is built only when a
    // line is written on a rare path (log.child per request was ~5 % of the
    // server's CPU under bench:daemon, where nothing is logged at all).
    const fields: Record<string, string> =
      req.op === "add" || req.op === "del" || req.op === "check"
        ? {
            op: req.op,
            podNamespace: req.pod.namespace,
            podName: req.pod.name,
            containerId: req.key.containerId,
            ifName: req.key.ifName,
          }
        : { op: req.op };
    let child: Logger | undefined;
    const log: LazyLog = () => {
      child ??= this.#d.log.child(fields);
      return child;
    };
    let res: IpamdResponse;
    // Where an ADD's time went (lock wait, checkpoint save, plumbing), in its log line.
    const phases: AddPhases = {};
    if (req.op !== "status" && !this.#d.readiness().ready && req.op !== "del") {
      const why = this.#d.readiness().reason ?? "starting";
      res = fail(CNI_ERR.TRY_AGAIN_LATER, `ipamd is not ready: ${why}`);
    } else {
      switch (req.op) {
        case "add":
          res = await this.#lock.run(keyString(req.key), () => {
            phases.lockMs = round2(performance.now() - t0);
            return this.#add(req, log, phases, gone);
          });
          if (res.ok) this.#d.pool.forget(req.key);
          break;
        case "del":
          res = await this.#lock.run(keyString(req.key), () => this.#del(req, log));
          this.#d.pool.forget(req.key);
          break;
        case "check":
          res = await this.#lock.run(keyString(req.key), () => this.#check(req));
          break;
        case "gc":
          res = await this.#gc(req, log);
          break;
        case "status":
          res = this.#status();
          break;
      }
    }
    const ms = performance.now() - t0;
    if (req.op !== "status") this.#d.metrics.observeRequest(req.op, res.ok, ms);
    // The request's log line is written after its answer has gone out
    // (setImmediate runs after the caller's write): pino writes synchronously,
    // ~0.14 ms that every ADD and DEL waited for (ipamd CPU profile under
    // bench:add). The line still says how long the request took.
    const root = this.#d.log;
    const line = { ...fields, ms: Math.round(ms * 100) / 100 };
    if (res.ok) {
      const ip = res.op === "add" ? res.result.ip : undefined;
      if (req.op !== "status" && root.isLevelEnabled("info"))
        setImmediate(() => root.info({ ...line, ip, ...phases }, `${req.op} ok`));
    } else {
      const { code, msg } = res.error;
      setImmediate(() => root.warn({ ...line, code, err: msg }, `${req.op} failed`));
    }
    return res;
  }

  #checkpointFailed(error: CheckpointError, log: LazyLog): IpamdError {
    this.#d.metrics.checkpointError("write");
    log().error({ err: error.message }, "checkpoint write failed");
    return { code: CNI_ERR.IO_FAILURE, msg: `cannot write the checkpoint: ${error.message}` };
  }

  /**
   * No free address: count the pod as waiting and, while the pool can still
   * grow, hold the ADD until an address lands (re-trying whenever an action
   * or round ends), up to the plugin's budget and VPC_CNI_ADD_WAIT_SECONDS.
   */
  async #assignHeld(
    req: AddRequest,
    refused: ReturnType<DurableDatastore["beginAssign"]>,
    assign: () => ReturnType<DurableDatastore["beginAssign"]>,
    gone: AbortSignal | undefined,
  ): Promise<ReturnType<DurableDatastore["beginAssign"]>> {
    const { pool, metrics } = this.#d;
    const deadline = performance.now() + Math.min(req.waitMs ?? 0, this.#d.maxAddWaitMs ?? 0);
    let last = refused;
    // Counted as held (vpccni_adds_held) only once it really waits.
    let held = false;
    let outcome: HeldAddOutcome = "gave-up";
    try {
      for (;;) {
        pool.wake(req.key);
        const left = deadline - performance.now();
        // A plugin that hung up gets no address: nobody would plumb or answer for it.
        if (gone?.aborted) {
          outcome = "client-gone";
          return refused;
        }
        if (left <= 0 || !pool.mayGrow(this.#now())) return last;
        if (!held) {
          held = true;
          metrics.addHeld();
        }
        await pool.changed(Math.min(left, HELD_RECHECK_MS), gone);
        if (gone?.aborted) {
          outcome = "client-gone";
          return refused;
        }
        last = assign();
        if (last.result.ok) {
          outcome = "assigned";
          return last;
        }
      }
    } finally {
      if (held) metrics.addHeldEnded(outcome);
    }
  }

  async #add(req: AddRequest, log: LazyLog, phases: AddPhases, gone?: AbortSignal): Promise<IpamdResponse> {
    const { durable } = this.#d;
    const ds = durable.ds;
    const hostVeth = vethNameFor(req.link.vethPrefix, req.pod, req.key);
    // In memory now; the checkpoint write and the plumbing run side by side
    // (measured: a save ~1-4 ms, a plumb ~2 ms, on the same 2 cores) and the
    // answer waits for both. Crash safety in either order: see beginAssign().
    try {
      this.#d.plumbing.checkNamespace(req.netns);
    } catch (e) {
      return { ok: false, error: plumbingError(e, "the pod's network namespace") };
    }
    const assign = () => durable.beginAssign({ key: req.key, pod: req.pod, netns: req.netns, hostVeth });
    let begun = assign();
    if (!begun.result.ok) {
      const t0 = performance.now();
      begun = await this.#assignHeld(req, begun, assign, gone);
      phases.waitMs = round2(performance.now() - t0);
    }
    const { result: r, saved } = begun;
    if (!r.ok) {
      const held =
        phases.waitMs !== undefined && phases.waitMs >= 1 ? ` (held ${Math.round(phases.waitMs)} ms)` : "";
      return fail(CNI_ERR.TRY_AGAIN_LATER, `${this.#d.pool.explainShortage(this.#now())}${held}`);
    }
    const a = r.assignment;
    const eni = ds.eni(a.eniId);
    if (eni === undefined) {
      // Cannot happen while the datastore's invariants hold; refuse rather than guess a route table.
      await saved;
      return fail(CNI_ERR.INTERNAL, `address ${a.ip} has no ENI in the datastore`);
    }
    const spec = podSpec({ ...a, netns: req.netns }, eni, req.link.mtu, this.#d.eniTableDestinations);
    const t0 = performance.now();
    const plumbed = this.#plumb(req, a, spec, r.created, log);
    const [save, plumb] = await Promise.all([
      saved.finally(() => {
        phases.saveMs = round2(performance.now() - t0);
      }),
      plumbed.finally(() => {
        phases.plumbMs = round2(performance.now() - t0);
      }),
    ]);
    if (!save.ok && r.created) {
      // Not on disk: no answer may name this address. Undo the plumbing; if
      // that fails too, keep the address held (its route may still exist)
      // and let the runtime's DEL for this failed ADD clean up.
      let undone = !plumb.ok;
      if (plumb.ok) {
        try {
          await this.#d.plumbing.del(spec);
          undone = true;
        } catch (e) {
          log().error({ err: (e as Error).message, ip: a.ip }, "could not undo plumbing after a failed save");
        }
      }
      if (undone) durable.abandon(r);
      return { ok: false, error: this.#checkpointFailed(save.error, log) };
    }
    if (!plumb.ok) {
      // plumbing.add rolled its own steps back; give the address back too
      // (straight to free: no pod ever used it).
      ds.unassign(req.key);
      const again = await durable.persist();
      if (!again.ok) this.#checkpointFailed(again.error, log);
      return { ok: false, error: plumb.error };
    }
    return { ok: true, op: "add", result: addResult(a, eni, req.link, plumb.links) };
  }

  /** The plumbing half of ADD; never throws (the save half runs beside it). */
  async #plumb(
    req: AddRequest,
    a: Assignment,
    spec: PodNetworkSpec,
    created: boolean,
    log: LazyLog,
  ): Promise<{ ok: true; links: PodLinks } | { ok: false; error: IpamdError }> {
    if (!created) {
      // A repeated ADD for the same attachment: the runtime never saw the
      // first answer. Same address; re-plumb from scratch so the answer's
      // MACs describe interfaces that really exist.
      log().info({ ip: a.ip }, "repeated ADD: same address, plumbing again");
      try {
        await this.#d.plumbing.del({ ...spec, netnsPath: a.netns || spec.netnsPath });
      } catch (e) {
        return { ok: false, error: plumbingError(e, "removing the earlier plumbing") };
      }
    }
    try {
      return { ok: true, links: await this.#d.plumbing.add(spec) };
    } catch (e) {
      return { ok: false, error: plumbingError(e, `setting up ${req.key.ifName} in ${req.netns}`) };
    }
  }

  async #del(req: DelRequest, log: LazyLog): Promise<IpamdResponse> {
    const { durable } = this.#d;
    const ds = durable.ds;
    const a = this.#heldFor(req);
    if (a === undefined) return { ok: true, op: "del" };
    try {
      await this.#d.plumbing.del(
        podSpec(
          { ...a, netns: req.netns || a.netns },
          ds.eni(a.eniId),
          req.link.mtu,
          this.#d.eniTableDestinations,
        ),
      );
    } catch (e) {
      // Keep the address held: its host route may still point at the old veth.
      return { ok: false, error: plumbingError(e, "removing the pod's interfaces") };
    }
    const r = await durable.release(a.key);
    if (!r.ok && r.reason === "persist-failed")
      return { ok: false, error: this.#checkpointFailed(r.error, log) };
    return { ok: true, op: "del" };
  }

  /**
   * The assignment a DEL or CHECK is about. Unknown key: nothing is held
   * (never added, or already deleted), unless the checkpoint was lost and this
   * pod's address is held by a placeholder recovered from host routes: the
   * stable veth name identifies it.
   */
  #heldFor(req: DelRequest | CheckRequest): Assignment | undefined {
    const ds = this.#d.durable.ds;
    const held = ds.get(req.key);
    if (held !== undefined) return held;
    const veth = vethNameFor(req.link.vethPrefix, req.pod, req.key);
    return ds.assignments().find((x) => x.key.network === RECOVERED_NETWORK && x.hostVeth === veth);
  }

  async #check(req: CheckRequest): Promise<IpamdResponse> {
    const ds = this.#d.durable.ds;
    // Code 3 tells the runtime no DEL is needed: never for a recovered placeholder, which DEL releases.
    const a = this.#heldFor(req);
    if (a === undefined) {
      return fail(CNI_ERR.UNKNOWN_CONTAINER, `ipamd holds no address for container ${req.key.containerId}`);
    }
    if (a.ip !== req.expectIp) {
      return fail(CNI_ERR.INTERNAL, `the runtime expects ${req.expectIp} but ipamd assigned ${a.ip}`);
    }
    const eni = ds.eni(a.eniId);
    if (eni === undefined || ds.ownerOf(a.ip) !== a.eniId) {
      return fail(CNI_ERR.INTERNAL, `address ${a.ip} is no longer on any ENI of this node`);
    }
    const problems = await this.#d.plumbing.check(
      podSpec({ ...a, netns: req.netns }, eni, req.link.mtu, this.#d.eniTableDestinations),
    );
    if (problems.length > 0) {
      return fail(
        CNI_ERR.INTERNAL,
        `pod networking differs from what ADD set up (${problems.length} problem(s))`,
        problems.map((p) => `${p.what}: ${p.message}`).join("; "),
      );
    }
    return { ok: true, op: "check" };
  }

  async #gc(req: GcRequest, log: LazyLog): Promise<IpamdResponse> {
    const ds = this.#d.durable.ds;
    const keep = new Set(req.valid.map((v) => keyString({ network: req.network, ...v })));
    const stale = ds
      .assignments()
      .filter((a) => a.key.network === req.network && !keep.has(keyString(a.key)));
    const released: Assignment[] = [];
    for (const a of stale) {
      const k = keyString(a.key);
      // An ADD in flight for this key is newer than the runtime's list.
      if (this.#lock.busy(k)) continue;
      const r = await this.#lock.run(k, () => this.#gcOne(a, log));
      if (r) released.push(r);
    }
    if (released.length > 0) {
      const saved = await this.#d.durable.persist();
      if (!saved.ok) {
        for (const a of released) ds.reinstate(a);
        return { ok: false, error: this.#checkpointFailed(saved.error, log) };
      }
    }
    return { ok: true, op: "gc", released: released.length };
  }

  async #gcOne(stale: Assignment, log: LazyLog): Promise<Assignment | undefined> {
    const ds = this.#d.durable.ds;
    const a = ds.get(stale.key);
    if (a === undefined || a.ip !== stale.ip) return undefined;
    try {
      // (MTU plays no part in removing interfaces.)
      await this.#d.plumbing.del(podSpec(a, ds.eni(a.eniId), 1500, this.#d.eniTableDestinations));
    } catch (e) {
      log().warn(
        { containerId: a.key.containerId, err: (e as Error).message },
        "GC could not unplumb; keeping address",
      );
      return undefined;
    }
    const r = ds.release(a.key, this.#now());
    log().info({ containerId: a.key.containerId, ip: a.ip, pod: a.pod }, "GC released");
    return r.ok ? r.assignment : undefined;
  }

  #status(): IpamdResponse {
    const r = this.#d.readiness();
    const now = this.#now();
    if (!r.ready)
      return {
        ok: true,
        op: "status",
        result: { ready: false, available: 0, reason: r.reason ?? "starting" },
      };
    const { available, assigned } = this.#d.durable.ds.counts(now);
    // ready = ipamd is up. What "no free address" means for STATUS is the
    // plugin's call (see cni/plugin.ts cmdStatus); it gets the numbers and the reason.
    const reason = available === 0 ? this.#d.pool.explainShortage(now) : undefined;
    return {
      ok: true,
      op: "status",
      result: { ready: true, available, assigned, ...(reason ? { reason } : {}) },
    };
  }
}
