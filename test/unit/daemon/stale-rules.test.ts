// staleEniRules: which host rules recovery removes as belonging to an ENI that
// vanished while ipamd was down (ipamd/recovery/stale-rules.ts).
import { describe, expect, it } from "vitest";
import { ENI_RULE_PRIORITY } from "../../../ipamd/hostnet/eni-link.ts";
import type { RuleInfo } from "../../../ipamd/hostnet/rtnl.ts";
import { ruleProtectedIps, staleEniRules } from "../../../ipamd/recovery/stale-rules.ts";

const rule = (src: string | undefined, table = 2, o: Partial<RuleInfo> = {}): RuleInfo => ({
  priority: ENI_RULE_PRIORITY,
  table,
  src,
  dst: undefined,
  ...o,
});

describe("staleEniRules", () => {
  const enis = new Set(["10.0.1.10", "10.0.1.20"]);
  const held = new Set(["10.0.1.30"]);
  const cases: [string, RuleInfo, boolean][] = [
    ["rule of a vanished ENI", rule("10.0.1.99/32"), true],
    ["rule of an attached ENI", rule("10.0.1.20/32"), false],
    ["a held pod's from-rule (external SNAT shape)", rule("10.0.1.30/32", 3), false],
    ["a pod from-rule with SNAT destinations", rule("10.0.1.99/32", 2, { dst: "10.0.0.0/16" }), false],
    ["other priority", rule("10.0.1.99/32", 2, { priority: 100 }), false],
    ["main table", rule("10.0.1.99/32", 254), false],
    ["local table", rule("10.0.1.99/32", 255), false],
    ["default table", rule("10.0.1.99/32", 253), false],
    ["no source", rule(undefined), false],
    ["a wider source", rule("10.0.1.0/24"), false],
  ];
  for (const [name, r, stale] of cases)
    it(name, () => expect(staleEniRules([r], enis, held)).toEqual(stale ? [r] : []));
});

describe("ruleProtectedIps", () => {
  const managed = [
    { id: "eni-primary", primaryIp: "10.0.1.10" },
    { id: "eni-1", primaryIp: "10.0.2.10" },
  ];
  const imds = [
    { interfaceId: "eni-primary", localIpv4s: ["10.0.1.10", "10.0.1.11"] },
    { interfaceId: "eni-1", localIpv4s: ["10.0.2.10", "10.0.2.35"] },
    // not in the datastore: another network card, a no-manage tag, an attach IMDS shows first
    { interfaceId: "eni-other", localIpv4s: ["10.0.3.10", "10.0.3.11"] },
  ];
  const protectedIps = ruleProtectedIps(managed, imds);
  const cases: [string, string, boolean][] = [
    ["a managed ENI's primary", "10.0.2.10", true],
    ["a managed ENI's secondary (a pod's address)", "10.0.2.35", false],
    ["the primary ENI's secondary", "10.0.1.11", false],
    ["an unmanaged ENI's primary", "10.0.3.10", true],
    ["an unmanaged ENI's secondary", "10.0.3.11", true],
  ];
  for (const [name, ip, kept] of cases) it(name, () => expect(protectedIps.has(ip)).toBe(kept));

  // The short soak's failure: a from-rule left by a pod whose ADD died with
  // ipamd, for a secondary of a managed ENI that no pod holds after the restart.
  it("a pod's unheld from-rule on a managed ENI is stale", () => {
    const r = rule("10.0.2.35/32", 2);
    expect(staleEniRules([r], protectedIps, new Set())).toEqual([r]);
    expect(staleEniRules([r], protectedIps, new Set(["10.0.2.35"]))).toEqual([]);
  });
});
