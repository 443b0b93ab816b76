// The soak's record of every pod: which are live, which a deliberate fault
// broke (casualties: excused from ownership/connectivity, never from
// duplicates), every address a pod ever had (for leftover checks), counters.
import type { SoakPod } from "./pods.ts";

/** Something taken away behind ipamd's back on one node. */
export interface Taint {
  node: string;
  what: string;
  /** Addresses that stopped being the node's in EC2. */
  ips: Set<string>;
  /**
   * The ENI detached behind ipamd's back, when that is the fault: addresses
   * EC2 assigns to it AFTER the detach (an assign ipamd had in flight; EC2
   * accepts assigns on a detached ENI) belong to the same fault until ipamd
   * notices, so refreshTaints adds them to `ips`.
   */
  eniId?: string;
  /** performance.now() when ipamd's own view caught up; undefined = not yet. */
  clearedAt?: number;
  /**
   * False while the fault's EC2 call is in flight. The taint is registered
   * BEFORE the call (no check may see a casualty untainted), but until the
   * call lands ipamd and EC2 still agree about the address, which must not
   * count as ipamd having caught up: refreshTaints skips the taint until then.
   */
  landed: boolean;
}

export class Ledger {
  readonly live = new Map<number, SoakPod>();
  readonly everIps = new Set<string>();
  readonly taints: Taint[] = [];
  readonly casualties = new Set<string>();
  readonly violations: string[] = [];
  counts = { adds: 0, addFailed: 0, dels: 0, delRetries: 0, casualties: 0 };
  /** Failed ADDs by CNI error code, with one sample message each (for the report). */
  readonly addFailures = new Map<number, { n: number; sample: string }>();

  addFailed(code: number, msg: string): void {
    this.counts.addFailed++;
    const f = this.addFailures.get(code) ?? { n: 0, sample: msg.slice(0, 300) };
    f.n++;
    this.addFailures.set(code, f);
  }

  addLive(p: SoakPod): void {
    this.live.set(p.id, p);
    this.everIps.add(p.ip);
    this.markIfCasualty(p);
  }

  /** A pod whose ADD began before ipamd noticed a taint on its address is the fault's casualty. */
  markIfCasualty(p: SoakPod): void {
    for (const t of this.taints) {
      if (t.node !== p.node || !t.ips.has(p.ip)) continue;
      if (t.clearedAt === undefined || p.addStartMs < t.clearedAt) {
        if (!this.casualties.has(p.name)) this.counts.casualties++;
        this.casualties.add(p.name);
      }
    }
  }

  taint(t: Taint): void {
    this.taints.push(t);
    for (const p of this.live.values()) this.markIfCasualty(p);
  }

  livePods(node?: string): SoakPod[] {
    return [...this.live.values()].filter((p) => node === undefined || p.node === node);
  }

  violate(msg: string): void {
    this.violations.push(msg);
  }
}
