// podRuleFixes / podRuleTables: a pod's from-rule follows its address to the
// ENI that owns it now (ipamd/hostnet/pod-rules.ts, ipamd/api/pod-spec.ts).
import { describe, expect, it } from "vitest";
import { podRuleTables, podSpec } from "../../../ipamd/api/pod-spec.ts";
import { podRuleFixes } from "../../../ipamd/hostnet/pod-rules.ts";
import type { RuleInfo, RuleSpec } from "../../../ipamd/hostnet/rtnl.ts";
import { FROM_POD_RULE_PRIORITY, fromRules } from "../../../ipamd/hostnet/spec.ts";

const P = FROM_POD_RULE_PRIORITY;
const rule = (src: string | undefined, table: number, o: Partial<RuleInfo> = {}): RuleInfo => ({
  priority: P,
  table,
  src,
  dst: undefined,
  ...o,
});
const spec = (src: string, table: number, dst?: string): RuleSpec => ({
  priority: P,
  table,
  src,
  ...(dst === undefined ? {} : { dst }),
});

describe("podRuleFixes", () => {
  const cases: {
    name: string;
    rules: RuleInfo[];
    want: [string, number | undefined][];
    destinations?: string[];
    remove: RuleSpec[];
    add: RuleSpec[];
  }[] = [
    {
      name: "SNAT on the node: an address with no rule gets one per VPC (or excluded) CIDR",
      rules: [],
      want: [["10.0.1.5", 3]],
      destinations: ["10.0.0.0/16", "100.64.0.0/16"],
      remove: [],
      add: [spec("10.0.1.5/32", 3, "10.0.0.0/16"), spec("10.0.1.5/32", 3, "100.64.0.0/16")],
    },
    {
      name: "rule already names the right table: nothing",
      rules: [rule("10.0.1.5/32", 3)],
      want: [["10.0.1.5", 3]],
      remove: [],
      add: [],
    },
    {
      name: "moved to another secondary ENI: old rule out, new in",
      rules: [rule("10.0.1.5/32", 2)],
      want: [["10.0.1.5", 4]],
      remove: [spec("10.0.1.5/32", 2)],
      add: [spec("10.0.1.5/32", 4)],
    },
    {
      name: "moved to the primary ENI: the rule goes, none added",
      rules: [rule("10.0.1.5/32", 2)],
      want: [["10.0.1.5", undefined]],
      remove: [spec("10.0.1.5/32", 2)],
      add: [],
    },
    {
      name: "moved from the primary ENI (no rule) to a secondary: one added",
      rules: [],
      want: [["10.0.1.5", 3]],
      remove: [],
      add: [spec("10.0.1.5/32", 3)],
    },
    {
      name: "on the primary ENI with no rule: nothing",
      rules: [],
      want: [["10.0.1.5", undefined]],
      remove: [],
      add: [],
    },
    {
      name: "rules with SNAT destinations keep their destination",
      rules: [
        rule("10.0.1.5/32", 2, { dst: "10.0.0.0/16" }),
        rule("10.0.1.5/32", 2, { dst: "100.64.0.0/16" }),
      ],
      want: [["10.0.1.5", 3]],
      remove: [spec("10.0.1.5/32", 2, "10.0.0.0/16"), spec("10.0.1.5/32", 2, "100.64.0.0/16")],
      add: [spec("10.0.1.5/32", 3, "10.0.0.0/16"), spec("10.0.1.5/32", 3, "100.64.0.0/16")],
    },
    {
      name: "untouched: other addresses, other priorities, no /32 source, no source",
      rules: [
        rule("10.0.1.6/32", 2),
        rule("10.0.1.5/32", 2, { priority: 512 }),
        rule("10.0.1.0/24", 2),
        rule(undefined, 2),
      ],
      want: [["10.0.1.5", 3]],
      remove: [],
      add: [spec("10.0.1.5/32", 3)],
    },
  ];
  for (const c of cases)
    it(c.name, () =>
      expect(podRuleFixes(c.rules, new Map(c.want), c.destinations)).toEqual({
        remove: c.remove,
        add: c.add,
      }),
    );
});

describe("podRuleTables", () => {
  it("table = device index + 1 on a secondary ENI, none on the primary; unknown ENI left out", () => {
    const enis: Record<string, { primary: boolean; deviceIndex: number }> = {
      "eni-p": { primary: true, deviceIndex: 0 },
      "eni-2": { primary: false, deviceIndex: 2 },
    };
    const want = podRuleTables(
      [
        { ip: "10.0.1.5", eniId: "eni-2" },
        { ip: "10.0.1.6", eniId: "eni-p" },
        { ip: "10.0.1.7", eniId: "eni-gone" },
      ],
      (id) => enis[id],
    );
    expect([...want]).toEqual([
      ["10.0.1.5", 3],
      ["10.0.1.6", undefined],
    ]);
  });
});

describe("podSpec's from-rule destinations", () => {
  const a = {
    ip: "10.0.1.5",
    netns: "/n",
    hostVeth: "eni0",
    key: { network: "n", containerId: "c", ifName: "eth0" },
  };
  it("SNAT on the node: a secondary ENI's pod uses its table towards the given CIDRs only", () => {
    const s = podSpec(a, { primary: false, deviceIndex: 2 }, 9001, ["10.0.0.0/16"]);
    expect(s).toMatchObject({ eniTable: 3, eniTableDestinations: ["10.0.0.0/16"] });
    expect(fromRules(s).map((r) => r.dst)).toEqual(["10.0.0.0/16"]);
  });
  it("external SNAT (no destinations): one rule for every destination; primary ENI: none", () => {
    expect(fromRules(podSpec(a, { primary: false, deviceIndex: 2 }, 9001)).map((r) => r.dst)).toEqual([
      undefined,
    ]);
    expect(fromRules(podSpec(a, { primary: true, deviceIndex: 0 }, 9001, ["10.0.0.0/16"]))).toEqual([]);
  });
});
