// Runs reconcile() periodically against the pod watcher and calls the
// daemon's release callback for each decision. The daemon owns the datastore:
// it supplies what it holds and how to release one assignment.

import type { LivePodSource } from "./pod-watcher.ts";
import { DEFAULT_RELEASE_GRACE_MS, type HeldAssignment, reconcile } from "./reconcile.ts";

export interface ReleaseLoopOptions {
  pods: LivePodSource;
  held: () => readonly HeldAssignment[] | Promise<readonly HeldAssignment[]>;
  release: (a: HeldAssignment) => Promise<void>;
  graceMs?: number;
  intervalMs?: number;
  now?: () => number;
  onError?: (err: unknown, a: HeldAssignment) => void;
}

export class ReleaseLoop {
  private readonly o: ReleaseLoopOptions;
  private missingSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(o: ReleaseLoopOptions) {
    this.o = o;
  }

  /** One pass; returns what was released (failed releases are retried next pass). */
  async runOnce(): Promise<HeldAssignment[]> {
    const now = (this.o.now ?? Date.now)();
    const r = reconcile({
      nowMs: now,
      synced: this.o.pods.synced,
      graceMs: this.o.graceMs ?? DEFAULT_RELEASE_GRACE_MS,
      held: await this.o.held(),
      live: this.o.pods.livePods(),
      missingSince: this.missingSince,
    });
    this.missingSince = r.missingSince;
    const done: HeldAssignment[] = [];
    for (const a of r.release) {
      try {
        await this.o.release(a);
        done.push(a);
      } catch (err) {
        this.o.onError?.(err, a);
      }
    }
    return done;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.runOnce().finally(() => {
        this.running = undefined;
      });
    }, this.o.intervalMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
