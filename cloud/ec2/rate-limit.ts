// Client-side token buckets, one per EC2 throttling class, so one node never
// burns the account's shared budget. EC2 throttles per account and region
// with token buckets (EC2 API reference, "Request throttling"); 1,000 nodes
// share one bucket, so each node's own bucket is a fraction of the account's.
//
// The bucket arithmetic is pure (TokenBucket with an injected clock); p-queue
// (concurrency 1) keeps the waiters of one class in FIFO order, so a burst of
// callers is released one token at a time in arrival order.

import PQueue from "p-queue";

export type ActionClass = "ni-mutation" | "create-tags" | "mutate" | "describe" | "describe-unfiltered";

export interface BucketSpec {
  /** Burst size (tokens when full). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSec: number;
}

/** EC2's own per-account buckets (PLATFORM.md / EC2 API reference). */
export const ACCOUNT_BUCKETS: Readonly<Record<ActionClass, BucketSpec>> = {
  // Create/Delete NetworkInterface, Assign/Unassign PrivateIpAddresses, ModifyNetworkInterfaceAttribute
  "ni-mutation": { capacity: 100, refillPerSec: 5 },
  "create-tags": { capacity: 100, refillPerSec: 10 },
  // Attach/DetachNetworkInterface fall in EC2's generic "mutating actions" bucket
  mutate: { capacity: 50, refillPerSec: 5 },
  describe: { capacity: 100, refillPerSec: 20 },
  // DescribeNetworkInterfaces / DescribeInstances without any filter or id list
  "describe-unfiltered": { capacity: 50, refillPerSec: 10 },
};

/**
 * Default share of the account bucket one node may use. 0.2 lets a node
 * burst to 20 ENI/IP mutations and then 1 per second: enough for a node
 * warming its pool, while five nodes scaling at once cannot drain the account.
 */
export const DEFAULT_NODE_FRACTION = 0.2;

export const ACTION_CLASS: Readonly<Record<string, ActionClass>> = {
  CreateNetworkInterface: "ni-mutation",
  DeleteNetworkInterface: "ni-mutation",
  AssignPrivateIpAddresses: "ni-mutation",
  UnassignPrivateIpAddresses: "ni-mutation",
  ModifyNetworkInterfaceAttribute: "ni-mutation",
  CreateTags: "create-tags",
  AttachNetworkInterface: "mutate",
  DetachNetworkInterface: "mutate",
  DescribeInstances: "describe",
  DescribeNetworkInterfaces: "describe",
  DescribeSubnets: "describe",
  DescribeInstanceTypes: "describe",
};

/** The class of one call; describes without any filter fall into the smaller unfiltered bucket. */
export function actionClass(action: string, unfiltered = false): ActionClass {
  if (unfiltered && (action === "DescribeNetworkInterfaces" || action === "DescribeInstances")) {
    return "describe-unfiltered";
  }
  return ACTION_CLASS[action] ?? (action.startsWith("Describe") ? "describe" : "mutate");
}

/** A node's buckets: `fraction` of each account bucket (at least 1 token, and a positive refill). */
export function nodeBuckets(
  fraction: number = DEFAULT_NODE_FRACTION,
  overrides: Partial<Record<ActionClass, BucketSpec>> = {},
): Record<ActionClass, BucketSpec> {
  const out = {} as Record<ActionClass, BucketSpec>;
  for (const [cls, spec] of Object.entries(ACCOUNT_BUCKETS) as [ActionClass, BucketSpec][]) {
    out[cls] = overrides[cls] ?? {
      capacity: Math.max(1, Math.floor(spec.capacity * fraction)),
      refillPerSec: spec.refillPerSec * fraction,
    };
  }
  return out;
}

/** A classic token bucket; `now` is injected so the arithmetic is testable without timers. */
export class TokenBucket {
  readonly spec: BucketSpec;
  private tokens: number;
  private last: number;
  constructor(spec: BucketSpec, now: number) {
    if (!(spec.capacity >= 1) || !(spec.refillPerSec > 0)) {
      throw new RangeError(`bad bucket: capacity ${spec.capacity}, refill ${spec.refillPerSec}/s`);
    }
    this.spec = spec;
    this.tokens = spec.capacity;
    this.last = now;
  }
  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.spec.capacity, this.tokens + (elapsed * this.spec.refillPerSec) / 1000);
    this.last = Math.max(this.last, now);
  }
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }
  /** Takes a token and returns 0, or takes nothing and returns how many ms until one is there. */
  tryTake(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.spec.refillPerSec);
  }
}

export interface Clock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RateLimiter {
  /** Resolves once the call may go out (a token of its class is taken). Returns the wait in ms. */
  acquire(cls: ActionClass): Promise<number>;
  /** Callers waiting per class (for metrics). */
  waiting(cls: ActionClass): number;
}

export function createRateLimiter(
  buckets: Record<ActionClass, BucketSpec>,
  clock: Clock = realClock,
): RateLimiter {
  const start = clock.now();
  const lanes = new Map<ActionClass, { bucket: TokenBucket; queue: PQueue }>();
  const lane = (cls: ActionClass) => {
    let l = lanes.get(cls);
    if (l === undefined) {
      l = { bucket: new TokenBucket(buckets[cls], start), queue: new PQueue({ concurrency: 1 }) };
      lanes.set(cls, l);
    }
    return l;
  };
  const limiter: RateLimiter = {
    async acquire(cls) {
      const { bucket, queue } = lane(cls);
      const t0 = clock.now();
      await queue.add(async () => {
        for (let wait = bucket.tryTake(clock.now()); wait > 0; wait = bucket.tryTake(clock.now())) {
          await clock.sleep(wait);
        }
      });
      return clock.now() - t0;
    },
    waiting(cls) {
      const l = lanes.get(cls);
      return l === undefined ? 0 : l.queue.size + l.queue.pending;
    },
  };
  return limiter;
}

/** No client-side limiting (tests that want to see the server's own throttling). */
export const unlimited: RateLimiter = { acquire: async () => 0, waiting: () => 0 };
