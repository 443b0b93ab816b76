// Address allocation inside one subnet, as AWS does it. Pure: the caller owns
// the sets and applies the result.
//
// AWS reserves five addresses in every subnet: the network address, .1 (VPC
// router), .2 (DNS), .3 (reserved for future use) and the broadcast address.
// A delegated /28 prefix occupies 16 aligned addresses that must all be free,
// and counts as ONE slot on the ENI (see limits.ts).

import type { Cidr } from "./ipv4.ts";

export const PREFIX_SIZE = 16;
export const PREFIX_LENGTH = 28;

export interface SubnetSpace {
  cidr: Cidr;
  /** Individually assigned addresses (primaries and secondaries). */
  used: ReadonlySet<number>;
  /** Base addresses of delegated /28 prefixes. */
  prefixes: ReadonlySet<number>;
}

export function isReserved(cidr: Cidr, ip: number): boolean {
  const offset = ip - cidr.base;
  return offset <= 3 || offset === cidr.size - 1;
}

export type AddressState = "free" | "reserved" | "in-use" | "outside";

export function addressState(space: SubnetSpace, ip: number): AddressState {
  const { cidr } = space;
  if (ip < cidr.base || ip >= cidr.base + cidr.size) return "outside";
  if (isReserved(cidr, ip)) return "reserved";
  if (space.used.has(ip)) return "in-use";
  if (space.prefixes.has(ip - (ip % PREFIX_SIZE))) return "in-use";
  return "free";
}

/** Lowest free addresses first; undefined when fewer than `count` are free (all or nothing). */
export function pickFreeAddresses(space: SubnetSpace, count: number): number[] | undefined {
  const picked: number[] = [];
  if (count <= 0) return picked;
  const end = space.cidr.base + space.cidr.size;
  for (let ip = space.cidr.base; ip < end; ip++) {
    if (addressState(space, ip) !== "free") continue;
    picked.push(ip);
    if (picked.length === count) return picked;
  }
  return undefined;
}

function blockIsFree(space: SubnetSpace, base: number): boolean {
  if (space.prefixes.has(base)) return false;
  for (let ip = base; ip < base + PREFIX_SIZE; ip++) {
    if (isReserved(space.cidr, ip) || space.used.has(ip)) return false;
  }
  return true;
}

/** Aligned /28 blocks whose 16 addresses are all free; undefined when fewer than `count` exist. */
export function pickFreePrefixes(space: SubnetSpace, count: number): number[] | undefined {
  const picked: number[] = [];
  if (count <= 0) return picked;
  const end = space.cidr.base + space.cidr.size;
  // A subnet smaller than /28 has no room for any prefix: the loop never runs.
  for (let base = space.cidr.base; base + PREFIX_SIZE <= end; base += PREFIX_SIZE) {
    if (!blockIsFree(space, base)) continue;
    picked.push(base);
    if (picked.length === count) return picked;
  }
  return undefined;
}

/** What DescribeSubnets reports as AvailableIpAddressCount. */
export function availableAddressCount(space: SubnetSpace): number {
  const reserved = Math.min(5, space.cidr.size);
  return space.cidr.size - reserved - space.used.size - space.prefixes.size * PREFIX_SIZE;
}

/** Is `text` "a.b.c.d/28" aligned to 16? Returns its base or undefined. */
export function prefixBase(prefixCidr: Cidr): number | undefined {
  return prefixCidr.prefixLength === PREFIX_LENGTH ? prefixCidr.base : undefined;
}
