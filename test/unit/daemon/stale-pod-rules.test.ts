// stalePodRules: which pod rules recovery removes because ipamd no longer
// holds their address (ipamd/recovery/stale-rules.ts).
import { describe, expect, it } from "vitest";
import { RT_TABLE_MAIN, type RuleInfo } from "../../../ipamd/hostnet/rtnl.ts";
import { FROM_POD_RULE_PRIORITY, TO_POD_RULE_PRIORITY } from "../../../ipamd/hostnet/spec.ts";
import { stalePodRules } from "../../../ipamd/recovery/stale-rules.ts";

const toRule = (dst: string | undefined, o: Partial<RuleInfo> = {}): RuleInfo => ({
  priority: TO_POD_RULE_PRIORITY,
  table: RT_TABLE_MAIN,
  src: undefined,
  dst,
  ...o,
});
const snatFromRule = (src: string | undefined, o: Partial<RuleInfo> = {}): RuleInfo => ({
  priority: FROM_POD_RULE_PRIORITY,
  table: 3,
  src,
  dst: "10.0.0.0/16",
  ...o,
});

describe("stalePodRules", () => {
  const held = new Set(["10.0.1.30"]);
  const cases: [string, RuleInfo, boolean][] = [
    ["to-rule of an address not held", toRule("10.0.1.99/32"), true],
    ["to-rule of a held address", toRule("10.0.1.30/32"), false],
    ["to-rule in another table", toRule("10.0.1.99/32", { table: 3 }), false],
    ["to-rule with a source", toRule("10.0.1.99/32", { src: "10.0.1.1/32" }), false],
    ["to-rule to a wider destination", toRule("10.0.1.0/24"), false],
    ["rule with no destination at the to-pod priority", toRule(undefined), false],
    ["to-rule shape at another priority", toRule("10.0.1.99/32", { priority: 100 }), false],
    ["SNAT from-rule of an address not held", snatFromRule("10.0.1.99/32"), true],
    ["SNAT from-rule of a held address", snatFromRule("10.0.1.30/32"), false],
    // Plain from-rules look like ENI rules: staleEniRules decides those (it knows the ENI primaries).
    ["plain from-rule of an address not held", snatFromRule("10.0.1.99/32", { dst: undefined }), false],
    ["from-rule with a wider source", snatFromRule("10.0.1.0/24"), false],
  ];
  for (const [name, r, stale] of cases)
    it(name, () => expect(stalePodRules([r], held)).toEqual(stale ? [r] : []));
});
