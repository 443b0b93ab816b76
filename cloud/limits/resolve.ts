// Limits of this node's instance type. Table first: a type in the built-in
// table (checked against AWS's public data by the tests) is answered at once,
// with no EC2 call on the start-up path, and DescribeInstanceTypes runs in
// the background to refresh the cache (1,000 nodes joining would otherwise
// spend 1,000 Describe tokens before planning anything). EC2 is asked first
// only for types the table does not know (new types appear every month);
// the table is then the fallback when EC2 is unreachable. Cached per type.

import type { Ec2Api, InstanceTypeInfo } from "../ec2/types.ts";
import { INSTANCE_TYPES } from "./instance-types.ts";
import { instanceLimits } from "./limits.ts";
import type { InstanceLimits } from "./types.ts";

export class UnknownInstanceTypeError extends Error {
  readonly instanceType: string;
  override readonly cause: unknown;
  constructor(instanceType: string, cause: unknown) {
    super(
      `no network limits for instance type ${instanceType}: not in DescribeInstanceTypes nor the built-in table`,
    );
    this.name = "UnknownInstanceTypeError";
    this.instanceType = instanceType;
    this.cause = cause;
  }
}

export interface ResolvedInstanceType {
  info: InstanceTypeInfo;
  source: "ec2" | "table";
}

const cache = new Map<string, Promise<ResolvedInstanceType>>();

/** Usable answer: an endpoint that knows nothing about network limits answers zeros. */
function usable(t: InstanceTypeInfo | undefined): t is InstanceTypeInfo {
  return t !== undefined && t.maxEnis > 0 && t.ipv4PerEni > 0;
}

async function lookup(
  ec2: Pick<Ec2Api, "describeInstanceTypes">,
  type: string,
): Promise<ResolvedInstanceType> {
  let cause: unknown;
  try {
    const [info] = await ec2.describeInstanceTypes([type]);
    if (usable(info) && info.instanceType === type) return { info, source: "ec2" };
  } catch (err) {
    cause = err;
  }
  const fallback = INSTANCE_TYPES[type];
  if (fallback !== undefined) return { info: fallback, source: "table" };
  throw new UnknownInstanceTypeError(type, cause);
}

/**
 * The instance type's limits, with where they came from. Failures are not
 * cached (the next call asks EC2 again); successes are, for the process.
 * A table hit starts a background DescribeInstanceTypes (see
 * refreshInstanceType) whose usable answer replaces the cached entry.
 */
export function resolveInstanceType(
  ec2: Pick<Ec2Api, "describeInstanceTypes">,
  type: string,
): Promise<ResolvedInstanceType> {
  let p = cache.get(type);
  if (p === undefined) {
    const known = INSTANCE_TYPES[type];
    if (known !== undefined) {
      p = Promise.resolve({ info: known, source: "table" });
      cache.set(type, p);
      refreshing.set(
        type,
        refreshInstanceType(ec2, type).catch(() => undefined),
      );
      return p;
    }
    p = lookup(ec2, type);
    cache.set(type, p);
    p.catch(() => cache.delete(type));
  }
  return p;
}

/** The limits ipamd plans with (default card, MAX_ENI applied), resolved as above. */
export async function resolveInstanceLimits(
  ec2: Pick<Ec2Api, "describeInstanceTypes">,
  type: string,
  opts: { maxEni?: number } = {},
): Promise<InstanceLimits> {
  return instanceLimits((await resolveInstanceType(ec2, type)).info, opts);
}

const refreshing = new Map<string, Promise<ResolvedInstanceType | undefined>>();

/** Asks EC2 now; a usable answer replaces the cached entry. Rejects when EC2 has none. */
export async function refreshInstanceType(
  ec2: Pick<Ec2Api, "describeInstanceTypes">,
  type: string,
): Promise<ResolvedInstanceType> {
  const [info] = await ec2.describeInstanceTypes([type]);
  if (!usable(info) || info.instanceType !== type) throw new UnknownInstanceTypeError(type, undefined);
  const r: ResolvedInstanceType = { info, source: "ec2" };
  cache.set(type, Promise.resolve(r));
  return r;
}

/** The background refresh started for `type`, if any (tests, logs). Never rejects. */
export function instanceTypeRefresh(type: string): Promise<ResolvedInstanceType | undefined> | undefined {
  return refreshing.get(type);
}

/** Tests only: forget cached answers. */
export function clearInstanceTypeCache(): void {
  cache.clear();
  refreshing.clear();
}
