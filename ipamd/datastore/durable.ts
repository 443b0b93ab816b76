// The datastore's API-facing mutations, each durable before it returns:
// mutate in memory (synchronously, so no other request sees a half state),
// then await the checkpoint write, and only then let the caller answer the
// plugin. If the write fails the mutation is undone and a typed error comes
// back, so the plugin never holds an address the checkpoint does not know.
//
// Group commit: mutations that arrive while a write is in flight share the
// NEXT write (its snapshot is taken when it starts, after all of them), so the
// cost of a save is per batch of concurrent ADD/DELs, not per pod.

import type { AttachmentKey } from "../api/protocol.ts";
import type { Checkpoint, CheckpointError, SaveResult } from "./checkpoint.ts";
import type { Datastore } from "./datastore.ts";
import type { Assignment, AssignRequest, AssignResult } from "./types.ts";

export type DurableAssignResult =
  | AssignResult
  | { ok: false; reason: "persist-failed"; error: CheckpointError };
export type DurableReleaseResult =
  | { ok: true; assignment: Assignment }
  | { ok: false; reason: "not-found" }
  | { ok: false; reason: "persist-failed"; error: CheckpointError };
export type DurableGcResult =
  | { ok: true; released: Assignment[] }
  | { ok: false; reason: "persist-failed"; error: CheckpointError };

export class DurableDatastore {
  readonly ds: Datastore;
  readonly #cp: Checkpoint;
  readonly #now: () => number;
  #waiters: ((r: SaveResult) => void)[] = [];
  #writing = false;

  constructor(ds: Datastore, checkpoint: Checkpoint, now: () => number = Date.now) {
    this.ds = ds;
    this.#cp = checkpoint;
    this.#now = now;
  }

  async assign(req: AssignRequest): Promise<DurableAssignResult> {
    const r = this.ds.assign(req, this.#now());
    // A repeated ADD was persisted when first answered; still wait for any
    // in-flight write so the answer never precedes durability.
    const saved = await this.persist();
    if (!saved.ok && r.ok && r.created) {
      this.ds.unassign(req.key);
      return { ok: false, reason: "persist-failed", error: saved.error };
    }
    return r;
  }

  /**
   * assign() for a caller that works WHILE the checkpoint is written (ADD
   * plumbs meanwhile): the assignment is in memory at once, `saved` settles
   * when it is on disk. The caller must not answer before `saved`, and on a
   * failed save must undo its work and call abandon(). Either crash order is
   * recoverable: plumbed but not saved -> recovery's host scan holds the
   * address from the pod's /32 route; saved but not plumbed -> the runtime
   * never got an answer and retries ADD (same key, same address) or DELs.
   */
  beginAssign(req: AssignRequest): { result: AssignResult; saved: Promise<SaveResult> } {
    const result = this.ds.assign(req, this.#now());
    // No address: nothing changed, nothing to write.
    const saved = result.ok ? this.persist() : Promise.resolve<SaveResult>({ ok: true });
    return { result, saved };
  }

  /** After a failed save of beginAssign(): forget a NEW assignment (a repeated ADD's was saved before). */
  abandon(result: AssignResult): void {
    if (result.ok && result.created) this.ds.unassign(result.assignment.key);
  }

  async release(key: AttachmentKey): Promise<DurableReleaseResult> {
    const r = this.ds.release(key, this.#now());
    if (!r.ok) return r;
    const saved = await this.persist();
    if (!saved.ok) {
      this.ds.reinstate(r.assignment);
      return { ok: false, reason: "persist-failed", error: saved.error };
    }
    return r;
  }

  async gc(
    network: string,
    valid: readonly { containerId: string; ifName: string }[],
  ): Promise<DurableGcResult> {
    const released = this.ds.gc(network, valid, this.#now());
    if (released.length === 0) return { ok: true, released };
    const saved = await this.persist();
    if (!saved.ok) {
      for (const a of released) this.ds.reinstate(a);
      return { ok: false, reason: "persist-failed", error: saved.error };
    }
    return { ok: true, released };
  }

  /** Closes the checkpoint's files (shutdown, after the last persist). */
  close(): void {
    this.#cp.close();
  }

  /** Resolves once a write that started AFTER this call has finished. */
  persist(): Promise<SaveResult> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#waiters.length > 0) {
        const batch = this.#waiters.splice(0);
        const r = await this.#cp.save(this.ds.liveState(this.#now()));
        for (const w of batch) w(r);
      }
    } finally {
      this.#writing = false;
    }
  }
}
