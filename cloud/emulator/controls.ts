// The knobs an operator turns mid-run (faults, latency, throttling, time
// scale) and the counters they read back. Shared by the EC2 endpoint and admin.

import type { LatencyConfig, ResolvedOptions, ThrottleConfig } from "./options.ts";
import { validateFaults, validateLatency, validateTimeScale } from "./options.ts";
import { type Ec2Fault, fault } from "./rules/fault.ts";
import { DEFAULT_BUCKETS, type ThrottleClass, Throttler } from "./rules/throttle.ts";

export interface ActionStats {
  calls: number;
  ok: number;
  throttled: number;
  /** AWS error code -> count (throttling and injected faults included). */
  errors: Record<string, number>;
}

export interface EmulatorStats {
  totalCalls: number;
  throttled: number;
  injectedFaults: number;
  byAction: Record<string, ActionStats>;
  /** Tokens left per throttle class. */
  buckets: Record<string, number>;
}

export class Controls {
  timeScale: number;
  latency: LatencyConfig;
  faults: Record<string, number>;
  readonly #random: () => number;
  #throttler: Throttler | undefined;
  readonly #stats = new Map<string, ActionStats>();
  #throttled = 0;
  #injected = 0;

  constructor(o: ResolvedOptions) {
    this.timeScale = o.timeScale;
    this.latency = o.latency;
    this.faults = o.faults;
    this.#random = o.random;
    this.setThrottle(o.throttle);
  }

  setTimeScale(s: number): void {
    this.timeScale = validateTimeScale(s);
  }
  setFaults(rates: Record<string, number>): void {
    this.faults = validateFaults(rates);
  }
  setLatency(l: Partial<LatencyConfig>): void {
    validateLatency(l);
    this.latency = { ...this.latency, ...l, perAction: { ...this.latency.perAction, ...l.perAction } };
  }
  /** Replaces the throttling setup; buckets start full. */
  setThrottle(cfg: ThrottleConfig): void {
    if (cfg === false) {
      this.#throttler = undefined;
      return;
    }
    const buckets = { ...DEFAULT_BUCKETS, ...cfg.buckets };
    for (const [cls, b] of Object.entries(buckets)) {
      if (!b || !(b.capacity >= 0) || !(b.refillPerSecond >= 0)) {
        throw new TypeError(`throttle bucket ${cls} needs capacity >= 0 and refillPerSecond >= 0`);
      }
    }
    this.#throttler = new Throttler(buckets);
  }

  scaled(ms: number): number {
    return ms * this.timeScale;
  }
  answerDelayMs(action: string): number {
    const l = this.latency;
    return this.scaled(l.perAction[action] ?? (action.startsWith("Describe") ? l.describeMs : l.mutateMs));
  }

  #entry(action: string): ActionStats {
    let s = this.#stats.get(action);
    if (!s) {
      s = { calls: 0, ok: 0, throttled: 0, errors: {} };
      this.#stats.set(action, s);
    }
    return s;
  }

  /** Counts the call, then throttling and fault injection; returns the fault to answer with, if any. */
  admit(action: string, cls: ThrottleClass): Ec2Fault | undefined {
    const s = this.#entry(action);
    s.calls++;
    if (this.#throttler && !this.#throttler.admit(cls)) {
      s.throttled++;
      this.#throttled++;
      return fault("RequestLimitExceeded", "Request limit exceeded.", 503);
    }
    const rate = this.faults[action] ?? this.faults["*"] ?? 0;
    if (rate > 0 && this.#random() < rate) {
      this.#injected++;
      return this.#random() < 0.5
        ? fault("InternalError", "An internal error has occurred", 500)
        : fault("Unavailable", "The service is unavailable. Please try again shortly.", 503);
    }
    return undefined;
  }

  record(action: string, code: string | undefined): void {
    const s = this.#entry(action);
    if (code === undefined) s.ok++;
    else s.errors[code] = (s.errors[code] ?? 0) + 1;
  }

  stats(): EmulatorStats {
    return {
      totalCalls: [...this.#stats.values()].reduce((n, s) => n + s.calls, 0),
      throttled: this.#throttled,
      injectedFaults: this.#injected,
      byAction: Object.fromEntries([...this.#stats].map(([k, v]) => [k, structuredClone(v)])),
      buckets: this.#throttler?.snapshot() ?? {},
    };
  }
}
