// Keeps this node's NodeIPAM status current without hammering the API
// server: the daemon calls update() on every change (cheap), and at most one
// status write per intervalMs goes out, only when the canonical content
// differs from what was last written. Writes are JSON merge patches of the
// status subresource (the whole status, absent optional fields as null).
// The object itself is created on first use, owned by the Node so it is
// garbage-collected with it.

import type { CustomObjectsApi } from "./client.ts";
import { httpStatusOf, K8sApiError } from "./errors.ts";
import {
  NODEIPAM_GROUP,
  NODEIPAM_KIND,
  NODEIPAM_PLURAL,
  NODEIPAM_VERSION,
  type NodeIpamCondition,
  type NodeIpamStatusInput,
} from "./nodeipam-types.ts";
import { canonicalStatus, renderStatus } from "./status-render.ts";

export const DEFAULT_STATUS_INTERVAL_MS = 10_000;

export interface StatusPublisherOptions {
  nodeName: string;
  /** The Node's uid, for the ownerReference (omit to create without one). */
  nodeUid?: string;
  intervalMs?: number;
  now?: () => number;
  onError?: (err: K8sApiError) => void;
}

/** Pure: when the next write may happen. */
export function nextWriteAt(lastWriteMs: number | undefined, intervalMs: number, nowMs: number): number {
  return lastWriteMs === undefined ? nowMs : Math.max(nowMs, lastWriteMs + intervalMs);
}

export class StatusPublisher {
  readonly stats = { updates: 0, writes: 0, unchanged: 0, errors: 0 };
  private readonly custom: CustomObjectsApi;
  private readonly o: StatusPublisherOptions;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private pending: NodeIpamStatusInput | undefined;
  private lastCanonical: string | undefined;
  private lastConditions: NodeIpamCondition[] = [];
  private lastWriteMs: number | undefined;
  private created = false;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<boolean> | undefined;
  private stopped = false;

  constructor(custom: CustomObjectsApi, o: StatusPublisherOptions) {
    this.custom = custom;
    this.o = o;
    this.intervalMs = o.intervalMs ?? DEFAULT_STATUS_INTERVAL_MS;
    this.now = o.now ?? Date.now;
  }

  update(input: NodeIpamStatusInput): void {
    this.stats.updates++;
    this.pending = input;
    this.schedule();
  }

  /** Writes the latest input now if it differs from what was written (shutdown, tests). */
  async flush(): Promise<boolean> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
    this.inflight = this.write();
    try {
      return await this.inflight;
    } finally {
      this.inflight = undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    const at = nextWriteAt(this.lastWriteMs, this.intervalMs, this.now());
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.flush();
      },
      Math.max(0, at - this.now()),
    );
    this.timer.unref();
  }

  private async write(): Promise<boolean> {
    const input = this.pending;
    if (input === undefined) return false;
    const nowMs = this.now();
    const status = renderStatus(input, this.lastConditions, nowMs);
    const canonical = canonicalStatus(status);
    if (canonical === this.lastCanonical) {
      this.stats.unchanged++;
      this.pending = undefined;
      return false;
    }
    try {
      if (!this.created) await this.ensureObject();
      await this.custom.patchClusterCustomObjectStatus({
        group: NODEIPAM_GROUP,
        version: NODEIPAM_VERSION,
        plural: NODEIPAM_PLURAL,
        name: this.o.nodeName,
        body: { status },
      });
    } catch (err) {
      // Someone deleted the object: recreate it next time.
      if (httpStatusOf(err) === 404) this.created = false;
      this.stats.errors++;
      this.lastWriteMs = nowMs; // failed writes count too: no retry storm against a sick API server
      this.o.onError?.(err instanceof K8sApiError ? err : new K8sApiError("write nodeipam status", err));
      this.schedule();
      return false;
    }
    this.stats.writes++;
    this.lastWriteMs = nowMs;
    this.lastCanonical = canonical;
    this.lastConditions = status.conditions;
    if (this.pending === input) this.pending = undefined;
    else this.schedule(); // a newer input arrived while writing
    return true;
  }

  private async ensureObject(): Promise<void> {
    const ids = { group: NODEIPAM_GROUP, version: NODEIPAM_VERSION, plural: NODEIPAM_PLURAL };
    try {
      await this.custom.getClusterCustomObject({ ...ids, name: this.o.nodeName });
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw new K8sApiError("get nodeipam", err);
      const owner =
        this.o.nodeUid === undefined || this.o.nodeUid === ""
          ? {}
          : {
              ownerReferences: [
                { apiVersion: "v1", kind: "Node", name: this.o.nodeName, uid: this.o.nodeUid },
              ],
            };
      const body = {
        apiVersion: `${NODEIPAM_GROUP}/${NODEIPAM_VERSION}`,
        kind: NODEIPAM_KIND,
        metadata: { name: this.o.nodeName, ...owner },
      };
      try {
        await this.custom.createClusterCustomObject({ ...ids, body });
      } catch (e) {
        if (httpStatusOf(e) !== 409) throw new K8sApiError("create nodeipam", e);
      }
    }
    this.created = true;
  }
}
