import { describe, expect, it } from "vitest";
import { type FilterFields, matchesFilters, validateFilters } from "../../../cloud/emulator/rules/filters.ts";
import { paginate } from "../../../cloud/emulator/rules/paginate.ts";
import { TokenBucket, throttleClassOf } from "../../../cloud/emulator/rules/throttle.ts";

interface R {
  id: string;
  status: string;
}
const FIELDS: FilterFields<R> = { id: (r) => [r.id], status: (r) => [r.status] };
const r: R = { id: "eni-abc", status: "available" };
const tags = new Map([["cluster", "c1"]]);

describe("filters", () => {
  it.each([
    [[], true],
    [[{ name: "status", values: ["available"] }], true],
    [[{ name: "status", values: ["in-use", "available"] }], true], // OR within a filter
    [[{ name: "status", values: ["in-use"] }], false],
    [[{ name: "id", values: ["eni-*"] }], true],
    [[{ name: "id", values: ["eni-a?c"] }], true],
    [[{ name: "id", values: ["eni-a?"] }], false],
    [[{ name: "tag:cluster", values: ["c1"] }], true],
    [[{ name: "tag:cluster", values: ["c2"] }], false],
    [[{ name: "tag-key", values: ["cluster"] }], true],
    [
      [
        { name: "status", values: ["available"] },
        { name: "tag:cluster", values: ["c2"] },
      ],
      false,
    ], // AND across filters
  ])("%o -> %s", (filters, expected) => {
    expect(matchesFilters(r, tags, filters, FIELDS)).toBe(expected);
  });
  it("refuses unknown filter names", () => {
    expect(() => validateFilters([{ name: "bogus", values: [] }], FIELDS)).toThrow(
      /The filter 'bogus' is invalid/,
    );
  });
});

describe("paginate", () => {
  const all = Array.from({ length: 12 }, (_, i) => i);
  const req = { maxResults: 5, nextToken: undefined, fingerprint: "q", min: 5, max: 1000 };
  it("walks every item exactly once", () => {
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = paginate(all, { ...req, nextToken: token });
      seen.push(...p.items);
      token = p.nextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });
  it("returns everything without MaxResults", () => {
    expect(paginate(all, { ...req, maxResults: undefined })).toEqual({ items: all, nextToken: undefined });
  });
  it.each([4, 1001])("refuses MaxResults %i", (n) => {
    expect(() => paginate(all, { ...req, maxResults: n })).toThrow(/maxResults is invalid/);
  });
  it("refuses a token from another query or garbage", () => {
    const t = paginate(all, req).nextToken!;
    expect(() => paginate(all, { ...req, nextToken: t, fingerprint: "other" })).toThrow(
      /Invalid pagination token/,
    );
    expect(() => paginate(all, { ...req, nextToken: "garbage" })).toThrow(/Invalid pagination token/);
  });
});

describe("throttling", () => {
  it.each([
    ["CreateNetworkInterface", true, "ni-mutation"],
    ["AssignPrivateIpAddresses", true, "ni-mutation"],
    ["ModifyNetworkInterfaceAttribute", true, "ni-mutation"],
    ["CreateTags", true, "tags"],
    ["AttachNetworkInterface", true, "mutating"],
    ["DetachNetworkInterface", true, "mutating"],
    ["DescribeSubnets", false, "describe"],
    ["DescribeNetworkInterfaces", true, "describe"],
    ["DescribeNetworkInterfaces", false, "describe-unfiltered"],
    ["DescribeInstances", false, "describe-unfiltered"],
    ["RunInstances", false, "world"],
  ] as const)("%s (filtered %s) -> %s", (action, filtered, cls) => {
    expect(throttleClassOf(action, filtered)).toBe(cls);
  });

  it("empties at capacity and refills at the configured rate", () => {
    let now = 0;
    const b = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, () => now);
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, true, false]);
    now += 499;
    expect(b.tryTake()).toBe(false); // 0.998 tokens
    now += 1;
    expect(b.tryTake()).toBe(true);
    now += 10_000;
    expect(b.tokens()).toBe(3); // never above capacity
  });
});
