// List-then-watch of the pods scheduled on this node (fieldSelector
// spec.nodeName=<node>), keeping the set of live pods the reconciler needs,
// and which of them will need a pod address (the pool grows for those that
// hold none yet: VPC_CNI_GROW_FOR_SCHEDULED_PODS).
// Written on @kubernetes/client-node's Watch rather than its ListWatch
// informer because we need three things that one does not give: watch
// bookmarks (allowWatchBookmarks, so a quiet node's resourceVersion stays
// fresh and a reconnect rarely needs a relist), a "synced" flag (the
// reconciler must not release anything before the first complete list), and
// retrying after errors instead of stopping.
//
// A 410 Gone ("too old resource version", as an ERROR event or HTTP status)
// forgets the resourceVersion, so the next round lists again; the list
// replaces the pod set atomically.

import type { V1Pod } from "@kubernetes/client-node";
import type { Watch } from "@kubernetes/client-node/dist/watch.js";
import type { CoreApi } from "./client.ts";
import { httpStatusOf } from "./errors.ts";

export interface PodWatcherOptions {
  nodeName: string;
  /** Called after every change to the live set (and after each list). */
  onChange?: () => void;
  /** Called with errors that make the watcher back off (logged by the daemon). */
  onError?: (err: unknown) => void;
  /** First backoff after an error; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
  watchTimeoutSeconds?: number;
}

export interface PodWatcherStats {
  lists: number;
  watches: number;
  expired: number;
  bookmarks: number;
  errors: number;
}

/** What the reconciler needs from the watcher. */
export interface LivePodSource {
  readonly synced: boolean;
  /** "namespace/name" of every pod on the node. */
  livePods(): ReadonlySet<string>;
}

interface WatchedPod {
  uid: string;
  /** Will get a pod address from a CNI ADD: not hostNetwork, not finished, not being deleted. */
  needsAddress: boolean;
  /** metadata.creationTimestamp (ms); NaN when absent. */
  createdMs: number;
}

type WatchEvent = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export class PodWatcher implements LivePodSource {
  readonly stats: PodWatcherStats = { lists: 0, watches: 0, expired: 0, bookmarks: 0, errors: 0 };
  private readonly core: CoreApi;
  private readonly watch: Watch;
  private readonly opts: PodWatcherOptions;
  private pods = new Map<string, WatchedPod>();
  private rv = "";
  private synced_ = false;
  private stopped = true;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(clients: { core: CoreApi; watch: Watch }, opts: PodWatcherOptions) {
    this.core = clients.core;
    this.watch = clients.watch;
    this.opts = opts;
  }

  get synced(): boolean {
    return this.synced_;
  }

  get resourceVersion(): string {
    return this.rv;
  }

  livePods(): ReadonlySet<string> {
    return new Set(this.pods.keys());
  }

  /**
   * Pods on the node that will need a pod address and, per `hasAddress`
   * ("namespace/name"), hold none yet: scheduled, their ADD still to come.
   * Only pods created within `windowMs` before `nowMs`: kubelet runs a pod's
   * CNI ADD within seconds of scheduling (before any image pull), so an older
   * pod without an address is failing for another reason or not networked by
   * us (another CNI via Multus), and must not hold free addresses forever.
   * 0 before the first list.
   */
  awaitingAddress(hasAddress: (podKey: string) => boolean, nowMs: number, windowMs: number): number {
    if (!this.synced_) return 0;
    let n = 0;
    for (const [key, p] of this.pods) {
      // A pod without a creation time (never from a real API server) counts.
      const recent = !(nowMs - p.createdMs >= windowMs);
      if (p.needsAddress && recent && !hasAddress(key)) n++;
    }
    return n;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  /** Resolves once the first list has completed (or rejects after timeoutMs). */
  async waitForSync(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.synced_) {
      if (Date.now() > deadline) throw new Error(`pod watcher not synced after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private get selector(): string {
    return `spec.nodeName=${this.opts.nodeName}`;
  }

  private async run(): Promise<void> {
    const min = this.opts.minBackoffMs ?? 500;
    let backoff = 0;
    while (!this.stopped) {
      if (backoff > 0) await this.sleep(backoff);
      if (this.stopped) break;
      try {
        if (this.rv === "") await this.relist();
        const err = await this.watchOnce();
        if (httpStatusOf(err) === 410) this.expire();
        else if (err && !isTimeout(err)) throw err;
        backoff = 0;
      } catch (err) {
        if (this.stopped) break;
        this.stats.errors++;
        this.opts.onError?.(err);
        backoff = Math.min(backoff === 0 ? min : backoff * 2, this.opts.maxBackoffMs ?? 30_000);
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.core.listPodForAllNamespaces({ fieldSelector: this.selector });
    const next = new Map<string, WatchedPod>();
    for (const p of list.items) next.set(keyOf(p), watched(p));
    this.pods = next;
    this.rv = list.metadata?.resourceVersion ?? "";
    this.stats.lists++;
    this.synced_ = true;
    this.opts.onChange?.();
  }

  private expire(): void {
    this.stats.expired++;
    this.rv = "";
  }

  /** One watch connection; resolves with the error that ended it (null/undefined on a clean close). */
  private watchOnce(): Promise<unknown> {
    this.stats.watches++;
    return new Promise((resolve, reject) => {
      const query = {
        fieldSelector: this.selector,
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
      };
      this.watch
        .watch(
          "/api/v1/pods",
          query,
          (type: string, obj: unknown) => this.onEvent(type as WatchEvent, obj),
          resolve,
        )
        .then((ctl) => {
          this.abort = ctl;
          if (this.stopped) ctl.abort();
        }, reject);
    });
  }

  private onEvent(type: WatchEvent, obj: unknown): void {
    if (type === "ERROR") {
      // The server ends the stream after this; 410 means our resourceVersion is gone.
      if ((obj as { code?: number } | null)?.code === 410) this.expire();
      return;
    }
    const pod = obj as V1Pod;
    const rv = pod.metadata?.resourceVersion;
    if (type === "BOOKMARK") this.stats.bookmarks++;
    else if (type === "DELETED") this.pods.delete(keyOf(pod));
    else this.pods.set(keyOf(pod), watched(pod));
    if (rv) this.rv = rv;
    if (type !== "BOOKMARK") this.opts.onChange?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function watched(p: V1Pod): WatchedPod {
  const phase = p.status?.phase;
  // The API's JSON carries an ISO string (V1Pod's type says Date: the library's deserializer makes one).
  const created = p.metadata?.creationTimestamp as Date | string | undefined;
  return {
    uid: p.metadata?.uid ?? "",
    createdMs: created === undefined || created === null ? Number.NaN : new Date(created).getTime(),
    needsAddress:
      p.spec?.hostNetwork !== true &&
      phase !== "Succeeded" &&
      phase !== "Failed" &&
      !p.metadata?.deletionTimestamp,
  };
}

function keyOf(p: V1Pod): string {
  return podKey(p.metadata?.namespace ?? "", p.metadata?.name ?? "");
}

function isTimeout(err: unknown): boolean {
  return (
    (err as { name?: string } | null)?.name === "TimeoutError" ||
    (err as { name?: string } | null)?.name === "AbortError"
  );
}
