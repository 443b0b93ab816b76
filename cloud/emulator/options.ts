// Emulator options and their defaults. Delays are in "AWS milliseconds" and
// multiplied by timeScale; throttle buckets refill in real time (see below).

import type { InstanceTypeInfo } from "../ec2/types.ts";
import { INSTANCE_TYPES } from "../limits/instance-types.ts";
import type { DataPlane } from "./dataplane/types.ts";
import { type BucketConfig, DEFAULT_BUCKETS, type ThrottleClass } from "./rules/throttle.ts";

export interface LatencyConfig {
  /** Answer delay of Describe* calls. */
  describeMs: number;
  /** Answer delay of every other call. */
  mutateMs: number;
  /** Per-action answer delay, overriding the two above. */
  perAction: Record<string, number>;
  /** attaching -> attached. */
  attachMs: number;
  /** detaching -> available. */
  detachMs: number;
}

export const DEFAULT_LATENCY: LatencyConfig = {
  describeMs: 30,
  mutateMs: 60,
  perAction: { RunInstances: 200, TerminateInstances: 100 },
  attachMs: 2000,
  detachMs: 2000,
};

/**
 * `false` turns throttling off. Buckets refill in REAL time even when timeScale
 * shrinks delays: the SDK's retry backoff runs in real time too, so scaling the
 * refill would make throttling vanish (timeScale 0) instead of behaving like AWS.
 * Override capacities/refill rates per class to make a test hit the edge sooner.
 */
export type ThrottleConfig = false | { buckets?: Partial<Record<ThrottleClass, BucketConfig>> };

export interface EmulatorOptions {
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  region?: string;
  accountId?: string;
  /** Multiplies every delay; 0 = instant. Default 1. */
  timeScale?: number;
  latency?: Partial<LatencyConfig>;
  throttle?: ThrottleConfig;
  /** Action name (or "*" for all) -> probability 0..1 of InternalError 500 / Unavailable 503. */
  faults?: Record<string, number>;
  /** Randomness for fault injection; inject a seeded one for reproducible runs. */
  random?: () => number;
  instanceTypes?: Readonly<Record<string, InstanceTypeInfo>>;
  dataPlane?: DataPlane;
  /**
   * Access key ids whose signed requests are refused with AuthFailure (HTTP
   * 401), as AWS refuses unknown or revoked keys. Default: none (the emulator
   * accepts any credentials, so no test has to provision any).
   */
  refusedAccessKeys?: readonly string[];
}

export interface ResolvedOptions {
  host: string;
  port: number;
  region: string;
  accountId: string;
  timeScale: number;
  latency: LatencyConfig;
  throttle: ThrottleConfig;
  faults: Record<string, number>;
  random: () => number;
  instanceTypes: Readonly<Record<string, InstanceTypeInfo>>;
  dataPlane: DataPlane | undefined;
  refusedAccessKeys: ReadonlySet<string>;
}

export function validateTimeScale(s: number): number {
  if (!Number.isFinite(s) || s < 0) throw new TypeError(`timeScale must be a number >= 0, got ${s}`);
  return s;
}

export function validateFaults(rates: Record<string, number>): Record<string, number> {
  for (const [action, rate] of Object.entries(rates)) {
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
      throw new TypeError(`fault rate for ${action} must be between 0 and 1, got ${String(rate)}`);
    }
  }
  return { ...rates };
}

export function validateLatency(l: Partial<LatencyConfig>): Partial<LatencyConfig> {
  const nums: [string, unknown][] = Object.entries(l).filter(([k]) => k !== "perAction");
  for (const [k, v] of [...nums, ...Object.entries(l.perAction ?? {})]) {
    if (typeof v !== "number" || !(v >= 0)) throw new TypeError(`latency ${k} must be a number of ms >= 0`);
  }
  return l;
}

export function resolveOptions(o: EmulatorOptions): ResolvedOptions {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`port must be 0..65535, got ${port}`);
  return {
    host: o.host ?? "127.0.0.1",
    port,
    region: o.region ?? "us-east-1",
    accountId: o.accountId ?? "123456789012",
    timeScale: validateTimeScale(o.timeScale ?? 1),
    latency: {
      ...DEFAULT_LATENCY,
      ...validateLatency(o.latency ?? {}),
      perAction: { ...DEFAULT_LATENCY.perAction, ...o.latency?.perAction },
    },
    throttle: o.throttle ?? { buckets: { ...DEFAULT_BUCKETS } },
    faults: validateFaults(o.faults ?? {}),
    random: o.random ?? Math.random,
    instanceTypes: o.instanceTypes ?? INSTANCE_TYPES,
    refusedAccessKeys: new Set(o.refusedAccessKeys ?? []),
    dataPlane: o.dataPlane,
  };
}
