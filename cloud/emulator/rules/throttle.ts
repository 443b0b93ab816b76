// EC2 request throttling: token buckets per action class, shared by every
// caller of one emulator (as AWS shares them per account and region).
// Pure apart from the injected clock.

export type ThrottleClass =
  | "ni-mutation"
  | "tags"
  | "mutating"
  | "describe"
  | "describe-unfiltered"
  | "world";

export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

/** From the EC2 API documentation (see PLATFORM.md). World building is not throttled. */
export const DEFAULT_BUCKETS: Readonly<Record<Exclude<ThrottleClass, "world">, BucketConfig>> = {
  "ni-mutation": { capacity: 100, refillPerSecond: 5 },
  tags: { capacity: 100, refillPerSecond: 10 },
  mutating: { capacity: 50, refillPerSecond: 5 },
  describe: { capacity: 100, refillPerSecond: 20 },
  "describe-unfiltered": { capacity: 50, refillPerSecond: 10 },
};

const NI_MUTATIONS = new Set([
  "CreateNetworkInterface",
  "DeleteNetworkInterface",
  "AssignPrivateIpAddresses",
  "UnassignPrivateIpAddresses",
  "ModifyNetworkInterfaceAttribute",
]);
const WORLD = new Set(["CreateVpc", "CreateSubnet", "RunInstances", "TerminateInstances"]);
const UNFILTERED_CAPABLE = new Set(["DescribeNetworkInterfaces", "DescribeInstances"]);

/** `filtered`: the call names resources by id or carries at least one Filter. */
export function throttleClassOf(action: string, filtered: boolean): ThrottleClass {
  if (NI_MUTATIONS.has(action)) return "ni-mutation";
  if (action === "CreateTags") return "tags";
  if (WORLD.has(action)) return "world";
  if (action.startsWith("Describe")) {
    return UNFILTERED_CAPABLE.has(action) && !filtered ? "describe-unfiltered" : "describe";
  }
  return "mutating";
}

export class TokenBucket {
  readonly config: BucketConfig;
  #tokens: number;
  #last: number;
  readonly #now: () => number;
  constructor(config: BucketConfig, now: () => number) {
    this.config = config;
    this.#now = now;
    this.#tokens = config.capacity;
    this.#last = now();
  }
  #refill(): void {
    const t = this.#now();
    const elapsed = Math.max(0, t - this.#last) / 1000;
    this.#tokens = Math.min(this.config.capacity, this.#tokens + elapsed * this.config.refillPerSecond);
    this.#last = t;
  }
  /** Takes one token; false when the bucket is empty (the call is throttled). */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  tokens(): number {
    this.#refill();
    return this.#tokens;
  }
}

export class Throttler {
  readonly #buckets = new Map<ThrottleClass, TokenBucket>();
  constructor(configs: Partial<Record<ThrottleClass, BucketConfig>>, now: () => number = Date.now) {
    for (const [cls, cfg] of Object.entries(configs) as [ThrottleClass, BucketConfig][]) {
      this.#buckets.set(cls, new TokenBucket(cfg, now));
    }
  }
  /** True when the call may proceed. Classes without a bucket are never throttled. */
  admit(cls: ThrottleClass): boolean {
    const b = this.#buckets.get(cls);
    return b === undefined || b.tryTake();
  }
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [cls, b] of this.#buckets) out[cls] = Math.floor(b.tokens());
    return out;
  }
}
