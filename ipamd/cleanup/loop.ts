// The effectful half of leak cleanup: list this cluster's detached ENIs,
// let select.ts decide, delete. Runs on its own slow timer, apart from the
// pool loop, and one pass at a time. A failure is logged and retried at the
// next pass; it never stops the daemon.
import { type Ec2Api, isEc2Error } from "../../cloud/ec2/types.ts";
import { TAG_CLUSTER_NAME } from "../executor/tags.ts";
import type { Logger } from "../log.ts";
import { selectLeakedEnis } from "./select.ts";

export interface LeakCleanerOptions {
  ec2: Ec2Api;
  clusterName: string;
  delayMs: number;
  intervalMs: number;
  log: Logger;
  now?: () => number;
  onDeleted?: (eniId: string) => void;
}

export class LeakedEniCleaner {
  private readonly o: LeakCleanerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<string[]> | undefined;

  constructor(o: LeakCleanerOptions) {
    this.o = o;
  }

  /** One pass; returns the ids deleted. Concurrent callers share the pass in progress. */
  runOnce(): Promise<string[]> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<string[]> {
    const { ec2, clusterName, delayMs, log } = this.o;
    if (clusterName === "") return [];
    const candidates = await ec2.describeNetworkInterfaces({
      status: "available",
      tags: { [TAG_CLUSTER_NAME]: clusterName },
    });
    const ids = selectLeakedEnis(candidates, { clusterName, delayMs, nowMs: (this.o.now ?? Date.now)() });
    const deleted: string[] = [];
    for (const id of ids) {
      try {
        await ec2.deleteNetworkInterface(id);
        deleted.push(id);
        this.o.onDeleted?.(id);
        log.info({ eniId: id }, "deleted leaked ENI");
      } catch (e) {
        // Someone else (another node's cleaner) got there first: fine.
        if (isEc2Error(e, "not-found")) continue;
        log.warn({ eniId: id, err: (e as Error).message }, "could not delete leaked ENI");
      }
    }
    return deleted;
  }

  start(): void {
    if (this.o.clusterName === "") {
      this.o.log.warn("CLUSTER_NAME is not set: leaked-ENI cleanup is disabled");
      return;
    }
    const tick = () => {
      this.runOnce()
        .catch((e: unknown) => this.o.log.warn({ err: (e as Error).message }, "leaked-ENI pass failed"))
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.o.intervalMs).unref();
        });
    };
    // First pass after one interval: at start the pool loop needs the EC2 budget more.
    this.timer = setTimeout(tick, this.o.intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
