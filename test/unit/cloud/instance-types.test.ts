import { describe, expect, it } from "vitest";
import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";
import { loadPublicLimits } from "./shared-data.ts";

const { table, reason } = loadPublicLimits();
if (table === undefined) console.warn(`SKIP instance-types vs public data: ${reason}`);

const entries = Object.entries(INSTANCE_TYPES);

describe("built-in instance-type table", () => {
  it("covers the families ipamd is run on (dozens of types)", () => {
    expect(entries.length).toBeGreaterThanOrEqual(60);
    for (const fam of ["t2", "t3", "t3a", "m4", "m5", "m5a", "m6i", "m6g", "m7i", "m7g", "c4", "c5", "c6i"]) {
      expect(
        entries.some(([k]) => k.startsWith(`${fam}.`)),
        fam,
      ).toBe(true);
    }
    expect(entries.some(([, v]) => v.bareMetal)).toBe(true);
    expect(entries.some(([, v]) => v.networkCards.length > 1)).toBe(true);
  });

  it("is internally consistent (key = name, maxEnis = sum of cards, default card exists)", () => {
    for (const [k, v] of entries) {
      expect(v.instanceType, k).toBe(k);
      expect(v.maxEnis, k).toBe(v.networkCards.reduce((n, c) => n + c.maxEnis, 0));
      expect(
        v.networkCards.some((c) => c.index === v.defaultNetworkCardIndex),
        k,
      ).toBe(true);
    }
  });

  describe.skipIf(table === undefined)(`every entry matches the public table (${reason})`, () => {
    it.each(entries)("%s", (name, ours) => {
      const pub = table?.[name];
      expect(pub, `${name} missing from the public table`).toBeDefined();
      if (pub === undefined) return;
      expect(ours.ipv4PerEni).toBe(pub.ipv4AddressesPerInterface);
      expect(ours.bareMetal).toBe(pub.bareMetal);
      expect(ours.defaultNetworkCardIndex).toBe(pub.defaultNetworkCardIndex);
      expect(ours.networkCards).toEqual(
        pub.networkCards.map((c) => ({ index: c.index, maxEnis: c.maxNetworkInterfaces })),
      );
      // The public table's top-level count is the default card's (what the AWS
      // VPC CNI plans with); ours counts every card, as DescribeInstanceTypes does.
      const defaultCard = pub.networkCards.find((c) => c.index === pub.defaultNetworkCardIndex);
      expect(defaultCard?.maxNetworkInterfaces).toBe(pub.maxNetworkInterfaces);
      // The public table says "unknown" where EC2 reports no hypervisor (bare metal).
      expect(ours.hypervisor).toBe(pub.hypervisor === "unknown" ? "none" : pub.hypervisor);
    });
  });
});
