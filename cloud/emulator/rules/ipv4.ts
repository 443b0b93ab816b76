// IPv4 arithmetic on plain numbers (0 .. 2^32-1). Pure.

import { fault } from "./fault.ts";

export interface Cidr {
  /** Network address as a number. */
  base: number;
  prefixLength: number;
  /** Number of addresses in the block. */
  size: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function tryParseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function parseIpv4(text: string): number {
  const n = tryParseIpv4(text);
  if (n === undefined) throw fault("InvalidParameterValue", `Invalid IPv4 address: '${text}'`);
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "a.b.c.d/n"; the address must be the block's network address, as AWS requires. */
export function parseCidr(text: string): Cidr {
  const [addr, len, ...rest] = text.split("/");
  const prefixLength = Number(len);
  const base = addr === undefined ? undefined : tryParseIpv4(addr);
  if (
    rest.length > 0 ||
    base === undefined ||
    len === undefined ||
    !/^\d{1,2}$/.test(len) ||
    prefixLength > 32
  ) {
    throw fault(
      "InvalidParameterValue",
      `Value (${text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
    );
  }
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) {
    throw fault(
      "InvalidParameterValue",
      `Value (${text}) for parameter cidrBlock is invalid. The address is not the network address of the block.`,
    );
  }
  return { base, prefixLength, size };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefixLength}`;
}

export function cidrContains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + c.size;
}

export function cidrInside(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}
