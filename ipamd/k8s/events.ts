// Warning Events on this node's Node object when ipamd cannot get addresses
// (instance limit, subnet full, EC2 throttling): one Event per cause per
// interval carrying a series count, never one per pod, so a node with 200
// pending pods does not flood the API server or `kubectl describe node`.
// Uses events.k8s.io/v1 (series, reportingController); Node events live in
// the "default" namespace, as kubelet's do.

import { randomBytes } from "node:crypto";
import type { EventsApi } from "./client.ts";
import { httpStatusOf, K8sApiError } from "./errors.ts";
import { type CauseState, decideEvent } from "./event-rate.ts";
import type { ExhaustionCause } from "./nodeipam-types.ts";

export const DEFAULT_EVENT_INTERVAL_MS = 5 * 60_000;
export const REPORTING_CONTROLLER = "vpccni.io/ipamd";
const EVENT_NAMESPACE = "default";

export interface NodeEventsOptions {
  nodeName: string;
  nodeUid?: string;
  intervalMs?: number;
  now?: () => number;
  onError?: (err: K8sApiError) => void;
}

/**
 * events.k8s.io's eventTime and series.lastObservedTime are MicroTime, which
 * the API server parses with exactly six fractional digits: Date's JSON (three)
 * is refused before validation (kubernetes/kubernetes#89156, #141204).
 */
export function microTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, -1)}000Z`;
}

export class NodeEvents {
  readonly stats = { creates: 0, patches: 0, recorded: 0 };
  private readonly api: EventsApi;
  private readonly o: NodeEventsOptions;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly causes = new Map<
    ExhaustionCause,
    CauseState & { message: string; timer?: NodeJS.Timeout }
  >();
  private readonly inflight = new Set<Promise<void>>();

  constructor(api: EventsApi, o: NodeEventsOptions) {
    this.api = api;
    this.o = o;
    this.intervalMs = o.intervalMs ?? DEFAULT_EVENT_INTERVAL_MS;
    this.now = o.now ?? Date.now;
  }

  /** Records one allocation failure; cheap, never throws (errors go to onError). */
  record(cause: ExhaustionCause, message: string): void {
    this.stats.recorded++;
    let s = this.causes.get(cause);
    if (s === undefined) {
      s = { eventName: undefined, written: 0, pending: 0, lastWriteMs: 0, message };
      this.causes.set(cause, s);
    }
    s.pending++;
    s.message = message;
    this.step(cause);
  }

  /** Waits for writes in flight (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  stop(): void {
    for (const s of this.causes.values()) clearTimeout(s.timer);
  }

  private step(cause: ExhaustionCause): void {
    const s = this.causes.get(cause)!;
    if (s.timer !== undefined || this.busy(cause)) return;
    const d = decideEvent(s, this.now(), this.intervalMs);
    if (d.kind === "wait") {
      s.timer = setTimeout(() => {
        s.timer = undefined;
        this.step(cause);
      }, d.atMs - this.now());
      s.timer.unref();
      return;
    }
    if (d.kind === "none") return;
    const p = this.write(cause, s, d.kind, d.count).finally(() => {
      this.inflight.delete(p);
      this.busyCauses.delete(cause);
      // Failures recorded while writing: schedule their (rate-limited) write.
      if (s.pending > 0) this.step(cause);
    });
    this.busyCauses.add(cause);
    this.inflight.add(p);
  }

  private readonly busyCauses = new Set<ExhaustionCause>();
  private busy(cause: ExhaustionCause): boolean {
    return this.busyCauses.has(cause);
  }

  private async write(
    cause: ExhaustionCause,
    s: CauseState & { message: string },
    kind: "create" | "patch",
    count: number,
  ): Promise<void> {
    const nowMs = this.now();
    const pendingAtStart = s.pending;
    try {
      if (kind === "patch" && s.eventName !== undefined) {
        try {
          await this.api.patchNamespacedEvent({
            name: s.eventName,
            namespace: EVENT_NAMESPACE,
            body: { note: s.message, series: { count, lastObservedTime: microTime(nowMs) } },
          });
          s.written = count;
          this.stats.patches++;
        } catch (err) {
          // Events expire (default TTL 1 h): start a new series instead.
          if (httpStatusOf(err) !== 404) throw err;
          s.eventName = undefined;
          await this.create(cause, s, s.pending, nowMs);
        }
      } else {
        await this.create(cause, s, count, nowMs);
      }
      s.pending -= pendingAtStart;
      s.lastWriteMs = nowMs;
    } catch (err) {
      // Keep the pending count; try again after an interval.
      s.lastWriteMs = nowMs;
      this.o.onError?.(new K8sApiError(`${kind} event ${cause}`, err));
    }
  }

  private async create(
    cause: ExhaustionCause,
    s: CauseState & { message: string },
    count: number,
    nowMs: number,
  ) {
    const name = `${this.o.nodeName}.${cause.toLowerCase()}.${randomBytes(4).toString("hex")}`;
    await this.api.createNamespacedEvent({
      namespace: EVENT_NAMESPACE,
      body: {
        metadata: { name, namespace: EVENT_NAMESPACE },
        eventTime: microTime(nowMs),
        type: "Warning",
        reason: cause,
        action: "AllocateAddresses",
        note: s.message,
        reportingController: REPORTING_CONTROLLER,
        reportingInstance: `ipamd-${this.o.nodeName}`,
        regarding: { apiVersion: "v1", kind: "Node", name: this.o.nodeName, uid: this.o.nodeUid },
        ...(count > 1 ? { series: { count, lastObservedTime: microTime(nowMs) } } : {}),
      },
    });
    s.eventName = name;
    s.written = count;
    this.stats.creates++;
  }
}
