// staleEniRules: which host rules recovery removes as belonging to an ENI that
// vanished while ipamd was down (ipamd/recovery/stale-rules.ts).
import { describe, expect, it } from "vitest";
import { ENI_RULE_PRIORITY } from "../../../ipamd/hostnet/eni-link.ts";
import type { RuleInfo } from "../../../ipamd/hostnet/rtnl.ts";
import { staleEniRules } from "../../../ipamd/recovery/stale-rules.ts";

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
