// The pods whose ADD found no free address: the demand the pool loop plans
// for on top of the warm targets. A set by attachment key, so kubelet's
// retries of one pod count once; a pod leaves it when its ADD got an address
// or it was deleted (forget), or after WAITING_POD_TTL_MS (input.ts,
// stillWaiting).
import type { AttachmentKey } from "../api/protocol.ts";
import { keyString } from "../datastore/datastore.ts";
import { stillWaiting } from "./input.ts";

/** Keyless refused ADDs count as waiting pods for this long (see WaitingPods.#anonymous). */
export const ANONYMOUS_WINDOW_MS = 1_000;

export class WaitingPods {
  /** Refused ADDs by attachment key: when last refused. */
  readonly #byKey = new Map<string, { key: AttachmentKey; at: number }>();
  /**
   * Refused ADDs without a key (callers that do not say which pod), by time:
   * a retry cannot be told from a new pod, so only the last ANONYMOUS_WINDOW_MS
   * count. A counter kept until the next plan grew with every retry during a
   * long (throttled) round and made the pool grow a third ENI (bench:scale).
   */
  #anonymous: number[] = [];

  add(podKey: AttachmentKey | undefined, nowMs: number): void {
    if (podKey === undefined) {
      this.#anonymous.push(nowMs);
      return;
    }
    const k = keyString(podKey);
    const w = this.#byKey.get(k);
    if (w === undefined) this.#byKey.set(k, { key: podKey, at: nowMs });
    else w.at = nowMs;
  }

  forget(podKey: AttachmentKey): void {
    this.#byKey.delete(keyString(podKey));
  }

  /** Pods waiting now; prunes the ones that got an address (`assigned`) or expired. */
  count(nowMs: number, assigned: (key: AttachmentKey) => boolean): number {
    const byStr = new Map<string, number>();
    for (const [k, w] of this.#byKey) byStr.set(k, w.at);
    const live = new Set(stillWaiting(byStr, (k) => assigned(this.#byKey.get(k)!.key), nowMs));
    for (const k of [...this.#byKey.keys()]) if (!live.has(k)) this.#byKey.delete(k);
    this.#anonymous = this.#anonymous.filter((t) => nowMs - t < ANONYMOUS_WINDOW_MS);
    return live.size + this.#anonymous.length;
  }
}
