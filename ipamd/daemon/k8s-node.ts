// The Kubernetes side of one ipamd, wired from ipamd/k8s: the pod watcher and
// release loop (addresses of pods deleted without a CNI DEL), the NodeIPAM
// status, the IPAMExhausted node condition and the allocation-failure Events.
// Nothing here can stop pod networking: every API failure is logged, counted
// (vpccni_k8s_api_errors_total{part}) and retried by the part that failed
// (watcher backoff, publisher/events once per interval, condition next tick).

import { Counter, type Registry } from "prom-client";
import type { K8sClients } from "../k8s/client.ts";
import { NodeEvents } from "../k8s/events.ts";
import { NodeConditionPatcher } from "../k8s/node-condition.ts";
import { type NodeInfo, readNodeInfo } from "../k8s/node-info.ts";
import type { ExhaustionCause, NodeIpamStatusInput } from "../k8s/nodeipam-types.ts";
import { PodWatcher } from "../k8s/pod-watcher.ts";
import type { HeldAssignment } from "../k8s/reconcile.ts";
import { ReleaseLoop } from "../k8s/release-loop.ts";
import { StatusPublisher } from "../k8s/status-publisher.ts";
import type { Logger } from "../log.ts";
import { conditionState } from "./k8s-status.ts";

/**
 * How often the status input and the condition are recomputed while they
 * change. Computing the input re-runs the planner (pool.shortfallNow), so an
 * idle node backs off: each unchanged result doubles the wait, up to the
 * status interval (the publisher's write cadence) but at most IDLE_TICK_MS
 * (a cleared IPAMExhausted condition shows within that); a changed result or
 * an allocation failure goes back to TICK_MS.
 */
const TICK_MS = 1000;
const IDLE_TICK_MS = 10_000;
/**
 * Scheduled pods count as on their way to an ADD for this long after their
 * creation (see PodWatcher.awaitingAddress): generous for kubelet, short
 * enough that a pod that never sends us an ADD stops holding addresses.
 */
export const SCHEDULED_POD_WINDOW_MS = 5 * 60_000;
const NODE_READ_RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

export type K8sPart = "node" | "pods" | "status" | "condition" | "events" | "release";

export interface KubeSources {
  /** The current status input (datastore, limits, pool loop). */
  status: () => NodeIpamStatusInput;
  /** Pod addresses held, with their pods (placeholders without a pod excluded). */
  held: () => HeldAssignment[];
  /** The CNI DEL path for one held address; throws when it kept the address. */
  release: (a: HeldAssignment) => Promise<void>;
  /** The pods on the node changed (scheduled, finished, deleted): the pool may plan again. */
  podsChanged: () => void;
}

export interface KubeNodeDeps {
  clients: K8sClients;
  nodeName: string;
  statusIntervalMs: number;
  eventIntervalMs: number;
  podReleaseGraceMs: number;
  /** The daemon's data; undefined until the datastore, pool and API exist (nothing runs before start()). */
  sources: () => KubeSources | undefined;
  registry: Registry;
  log: Logger;
  now?: () => number;
  /** Called with the Node once it has been read (its capacity caps the pool). */
  onNode?: (node: NodeInfo) => void;
}

export class KubeNode {
  readonly #d: KubeNodeDeps;
  readonly #now: () => number;
  readonly #errors: Counter<"part">;
  readonly watcher: PodWatcher;
  readonly #release: ReleaseLoop;
  readonly #condition: NodeConditionPatcher;
  #publisher: StatusPublisher | undefined;
  #events: NodeEvents | undefined;
  #tick: NodeJS.Timeout | undefined;
  #tickMs = TICK_MS;
  #lastStatus = "";
  #conditionBusy = false;
  #conditionRetryAtMs = 0;
  #stopped = false;
  #init: Promise<void> | undefined;
  #wakeInit: (() => void) | undefined;

  constructor(d: KubeNodeDeps) {
    this.#d = d;
    this.#now = d.now ?? Date.now;
    this.#errors = new Counter({
      name: "vpccni_k8s_api_errors_total",
      help: "Failed Kubernetes API calls by part (pod networking goes on; the part retries)",
      labelNames: ["part"],
      registers: [d.registry],
    });
    this.watcher = new PodWatcher(d.clients, {
      nodeName: d.nodeName,
      onError: (err) => this.apiFailed("pods", err),
      onChange: () => d.sources()?.podsChanged(),
    });
    this.#release = new ReleaseLoop({
      pods: this.watcher,
      held: () => d.sources()?.held() ?? [],
      release: async (a) => {
        // The decision was made on a snapshot: re-check right before acting.
        if (this.watcher.livePods().has(`${a.namespace}/${a.name}`)) return;
        const src = d.sources();
        if (src === undefined) return;
        await src.release(a);
        d.log.info(
          { pod: `${a.namespace}/${a.name}`, ip: a.ip, graceMs: d.podReleaseGraceMs },
          "released the address of a pod deleted without a CNI DEL",
        );
      },
      graceMs: d.podReleaseGraceMs,
      // Often enough that a release comes within ~1.5 graces, rarely enough to cost nothing.
      intervalMs: Math.min(10_000, Math.max(1000, Math.floor(d.podReleaseGraceMs / 2))),
      now: this.#now,
      onError: (err) => this.apiFailed("release", err),
    });
    this.#condition = new NodeConditionPatcher(d.clients.core, d.nodeName, this.#now);
  }

  /**
   * Pods scheduled on this node that will need a pod address and hold none
   * yet (their ADD is still to come, or waiting): VPC_CNI_GROW_FOR_SCHEDULED_PODS.
   */
  scheduledWithoutAddress(): number {
    const src = this.#d.sources();
    if (src === undefined) return 0; // the datastore is not there yet: no way to tell who holds one
    const held = new Set(src.held().map((a) => `${a.namespace}/${a.name}`));
    return this.watcher.awaitingAddress((pod) => held.has(pod), this.#now(), SCHEDULED_POD_WINDOW_MS);
  }

  /** One allocation failure (an ADD that found no address, or EC2 refusing growth): rate-limited Event. */
  allocationFailed(cause: ExhaustionCause, message: string): void {
    this.#events?.record(cause, message);
    // The condition may have to flip now: back to the fast tick.
    if (this.#tickMs > this.#baseTickMs()) {
      this.#tickMs = this.#baseTickMs();
      this.#schedule();
    }
  }

  #baseTickMs(): number {
    return Math.min(TICK_MS, this.#d.statusIntervalMs);
  }

  #schedule(): void {
    clearTimeout(this.#tick);
    if (this.#stopped) return;
    this.#tick = setTimeout(() => {
      this.#refresh();
      this.#schedule();
    }, this.#tickMs);
    this.#tick.unref();
  }

  /** `node`: the Node already read at start (custom networking), else it is read here with retries. */
  start(node?: NodeInfo): void {
    this.watcher.start();
    this.#release.start();
    this.#init = this.#initNode(node);
    this.#tickMs = this.#baseTickMs();
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#tick);
    this.#wakeInit?.();
    await this.#init;
    await this.#release.stop();
    await this.watcher.stop();
    this.#publisher?.stop();
    this.#events?.stop();
  }

  /** Reads the Node (uid for ownerReferences and Events) until it works, then starts the writers. */
  async #initNode(known: NodeInfo | undefined): Promise<void> {
    let node = known;
    for (let i = 0; node === undefined && !this.#stopped; i++) {
      try {
        node = await readNodeInfo(this.#d.clients.core, this.#d.nodeName);
      } catch (err) {
        this.apiFailed("node", err);
        const ms = NODE_READ_RETRY_MS[Math.min(i, NODE_READ_RETRY_MS.length - 1)]!;
        await new Promise<void>((r) => {
          const t = setTimeout(r, ms);
          this.#wakeInit = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    }
    if (node === undefined || this.#stopped) return;
    this.#d.onNode?.(node);
    const common = { nodeName: node.name, nodeUid: node.uid, now: this.#now };
    this.#publisher = new StatusPublisher(this.#d.clients.custom, {
      ...common,
      intervalMs: this.#d.statusIntervalMs,
      onError: (err) => this.apiFailed("status", err),
    });
    this.#events = new NodeEvents(this.#d.clients.events, {
      ...common,
      intervalMs: this.#d.eventIntervalMs,
      onError: (err) => this.apiFailed("events", err),
    });
    this.#refresh();
  }

  #refresh(): void {
    const src = this.#d.sources();
    if (this.#stopped || this.#publisher === undefined || src === undefined) return;
    const status = src.status();
    const key = JSON.stringify(status);
    this.#tickMs =
      key === this.#lastStatus
        ? Math.max(this.#baseTickMs(), Math.min(this.#tickMs * 2, this.#d.statusIntervalMs, IDLE_TICK_MS))
        : this.#baseTickMs();
    this.#lastStatus = key;
    this.#publisher.update(status);
    if (this.#conditionBusy || this.#now() < this.#conditionRetryAtMs) return;
    this.#conditionBusy = true;
    void this.#condition
      .set(conditionState(status.exhausted))
      .catch((err: unknown) => {
        // A sick API server gets one attempt per status interval, not one per tick.
        this.#conditionRetryAtMs = this.#now() + this.#d.statusIntervalMs;
        this.apiFailed("condition", err);
      })
      .finally(() => {
        this.#conditionBusy = false;
      });
  }

  /** Logs and counts a failed API call (the caller retries). */
  apiFailed(part: K8sPart, err: unknown): void {
    this.#errors.inc({ part });
    this.#d.log.warn({ part, err: (err as Error)?.message ?? String(err) }, "Kubernetes API call failed");
  }
}
