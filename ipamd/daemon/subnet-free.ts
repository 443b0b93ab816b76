// Free-address counts of the node's subnets for the NodeIPAM status, from
// DescribeSubnets, cached: the status is rebuilt every second or so and
// DescribeSubnets is rate-limited per account, so get() answers from the
// cache at once and refreshes stale entries in the background (one call in
// flight at a time, all stale ids in one call).

import type { Ec2Api } from "../../cloud/ec2/types.ts";
import type { Logger } from "../log.ts";

export const SUBNET_FREE_TTL_MS = 30_000;

export class SubnetFreeCache {
  readonly #ec2: Pick<Ec2Api, "describeSubnets">;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #entries = new Map<string, { free: number; atMs: number }>();
  #inflight: Promise<void> | undefined;
  /** After a failed call, no new one before this (no DescribeSubnets storm while EC2 is sick). */
  #retryAtMs = 0;

  constructor(
    ec2: Pick<Ec2Api, "describeSubnets">,
    log: Logger,
    ttlMs = SUBNET_FREE_TTL_MS,
    now: () => number = Date.now,
  ) {
    this.#ec2 = ec2;
    this.#log = log;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** The cached count (undefined until the first answer); starts a refresh when stale. */
  get(id: string): number | undefined {
    const e = this.#entries.get(id);
    if (e === undefined || this.#now() - e.atMs >= this.#ttlMs) this.refresh([id]);
    return e?.free;
  }

  /** Refreshes these ids (no-op while a refresh runs); resolves when done. Never rejects. */
  refresh(ids: readonly string[]): Promise<void> {
    if (this.#inflight) return this.#inflight;
    if (this.#now() < this.#retryAtMs) return Promise.resolve();
    const stale = ids.filter((id) => {
      const e = this.#entries.get(id);
      return e === undefined || this.#now() - e.atMs >= this.#ttlMs;
    });
    if (stale.length === 0) return Promise.resolve();
    this.#inflight = this.#ec2
      .describeSubnets(stale)
      .then((subnets) => {
        const at = this.#now();
        for (const s of subnets) this.#entries.set(s.id, { free: s.availableIpAddressCount, atMs: at });
      })
      .catch((e: unknown) => {
        this.#retryAtMs = this.#now() + this.#ttlMs;
        this.#log.debug({ err: (e as Error).message }, "DescribeSubnets for the NodeIPAM status failed");
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }
}
