import { describe, expect, it } from "vitest";
import {
  addressState,
  availableAddressCount,
  pickFreeAddresses,
  pickFreePrefixes,
  type SubnetSpace,
} from "../../../cloud/emulator/rules/addresses.ts";
import { Ec2Fault } from "../../../cloud/emulator/rules/fault.ts";
import { cidrsOverlap, formatIpv4, parseCidr, parseIpv4 } from "../../../cloud/emulator/rules/ipv4.ts";

const ip = parseIpv4;
function space(cidr: string, used: string[] = [], prefixes: string[] = []): SubnetSpace {
  return { cidr: parseCidr(cidr), used: new Set(used.map(ip)), prefixes: new Set(prefixes.map(ip)) };
}

describe("ipv4", () => {
  it.each([
    ["10.0.0.0", 0x0a000000],
    ["255.255.255.255", 0xffffffff],
    ["192.168.1.17", 0xc0a80111],
  ])("parses and formats %s", (text, n) => {
    expect(parseIpv4(text)).toBe(n);
    expect(formatIpv4(n)).toBe(text);
  });
  it.each(["10.0.0", "10.0.0.256", "a.b.c.d", "10.0.0.1 "])(
    "refuses %s with InvalidParameterValue",
    (bad) => {
      expect(() => parseIpv4(bad)).toThrow(Ec2Fault);
    },
  );
  it.each(["10.0.0.1/24", "10.0.0.0/33", "10.0.0.0", "10.0.0.0/x"])("refuses CIDR %s", (bad) => {
    expect(() => parseCidr(bad)).toThrow(/cidrBlock is invalid/);
  });
  it("detects overlap", () => {
    expect(cidrsOverlap(parseCidr("10.0.0.0/24"), parseCidr("10.0.0.128/25"))).toBe(true);
    expect(cidrsOverlap(parseCidr("10.0.0.0/25"), parseCidr("10.0.0.128/25"))).toBe(false);
  });
});

describe("subnet address allocation", () => {
  it.each([
    ["10.0.0.0", "reserved"],
    ["10.0.0.1", "reserved"],
    ["10.0.0.2", "reserved"],
    ["10.0.0.3", "reserved"],
    ["10.0.0.4", "free"],
    ["10.0.0.254", "free"],
    ["10.0.0.255", "reserved"],
    ["10.0.1.0", "outside"],
    ["10.0.0.9", "in-use"],
    ["10.0.0.40", "in-use"], // inside the delegated prefix 10.0.0.32/28
  ])("%s is %s", (addr, state) => {
    expect(addressState(space("10.0.0.0/24", ["10.0.0.9"], ["10.0.0.32"]), ip(addr))).toBe(state);
  });

  it("hands out the lowest free addresses, skipping reserved, used and prefixed ones", () => {
    const s = space("10.0.0.0/27", ["10.0.0.4", "10.0.0.6"], ["10.0.0.16"]);
    expect(pickFreeAddresses(s, 3)?.map(formatIpv4)).toEqual(["10.0.0.5", "10.0.0.7", "10.0.0.8"]);
  });

  it("is all or nothing when the subnet cannot satisfy the count", () => {
    // /28: 16 addresses - 5 reserved = 11 usable
    expect(pickFreeAddresses(space("10.0.0.0/28"), 11)).toHaveLength(11);
    expect(pickFreeAddresses(space("10.0.0.0/28"), 12)).toBeUndefined();
  });

  it("reports AvailableIpAddressCount as AWS does", () => {
    expect(availableAddressCount(space("10.0.0.0/24"))).toBe(251);
    expect(availableAddressCount(space("10.0.0.0/24", ["10.0.0.4"], ["10.0.0.16"]))).toBe(251 - 1 - 16);
  });

  it("delegates only aligned /28 blocks that are entirely free", () => {
    // first block holds reserved .0-.3, .20 is used, last block holds the broadcast address
    const s = space("10.0.0.0/26", ["10.0.0.20"]);
    expect(pickFreePrefixes(s, 1)?.map(formatIpv4)).toEqual(["10.0.0.32"]);
    expect(pickFreePrefixes(s, 2)).toBeUndefined();
    for (const p of pickFreePrefixes(space("10.0.0.0/24"), 14) ?? []) expect(p % 16).toBe(0);
    expect(pickFreePrefixes(space("10.0.0.0/24"), 15)).toBeUndefined();
  });

  it("has no prefix room in a /28 subnet", () => {
    expect(pickFreePrefixes(space("10.0.0.0/28"), 1)).toBeUndefined();
  });
});
