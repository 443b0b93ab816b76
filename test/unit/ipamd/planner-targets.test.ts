import { describe, expect, it } from "vitest";
import { plan } from "../../../ipamd/planner/plan.ts";
import type { PlanAction, PlannerEni, PoolSettings } from "../../../ipamd/planner/types.ts";
import { create, eni, input, NOW, settings } from "./planner-helpers.ts";

interface Case {
  name: string;
  type?: string;
  s: Partial<PoolSettings>;
  enis: PlannerEni[];
  pending?: number;
  actions: PlanAction[];
  deficit: number;
}

// m5.large: 3 ENIs x 10 IPv4 (9 secondary slots); t3.medium: 3 x 6 (5 slots).
const growth: Case[] = [
  {
    name: "WARM_ENI=1, empty primary: fill it whole",
    s: {},
    enis: [eni(0)],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 9 }],
    deficit: 9,
  },
  { name: "WARM_ENI=1, 9 free: satisfied", s: {}, enis: [eni(0, { free: 9 })], actions: [], deficit: 0 },
  {
    name: "WARM_ENI=1, 1 assigned of 9: a whole new ENI",
    s: {},
    enis: [eni(0, { assigned: 1, free: 8 })],
    actions: [create(1, 9)],
    deficit: 1,
  },
  {
    name: "WARM_ENI=2, empty primary: fill + new ENI",
    s: { warmEniTarget: 2 },
    enis: [eni(0)],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 9 }, create(1, 9)],
    deficit: 18,
  },
  {
    name: "WARM_ENI=1 on t3.medium: 5 per ENI",
    type: "t3.medium",
    s: {},
    enis: [eni(0, { assigned: 5 })],
    actions: [create(1, 5)],
    deficit: 5,
  },
  {
    name: "WARM_ENI=0 with no pod waiting, pool empty: fill the ENI (AWS: warmTarget 0 && available 0)",
    s: { warmEniTarget: 0 },
    enis: [eni(0)],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 9 }],
    deficit: 1,
  },
  {
    name: "WARM_ENI=0, a pod waiting: grow (whole ENI), one left free after it",
    s: { warmEniTarget: 0 },
    enis: [eni(0)],
    pending: 1,
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 9 }],
    deficit: 2,
  },
  {
    name: "WARM_IP=3, 2 free: exactly one more",
    s: { warmIpTarget: 3 },
    enis: [eni(0, { assigned: 4, free: 2 })],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 1 }],
    deficit: 1,
  },
  {
    name: "WARM_IP ignores WARM_ENI",
    s: { warmIpTarget: 1, warmEniTarget: 3 },
    enis: [eni(0, { free: 1 })],
    actions: [],
    deficit: 0,
  },
  {
    name: "WARM_IP=5, primary has 7 slots used: 2 there, 3 on a new ENI",
    s: { warmIpTarget: 5 },
    enis: [eni(0, { assigned: 7 })],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 2 }, create(1, 3)],
    deficit: 5,
  },
  {
    name: "MINIMUM_IP=10 from nothing: 9 + new ENI with 1",
    s: { minimumIpTarget: 10, warmIpTarget: 3 },
    enis: [eni(0)],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 9 }, create(1, 1)],
    deficit: 10,
  },
  {
    name: "MINIMUM_IP=5 alone, 6 assigned 0 free: nothing (no WARM_IP)",
    s: { minimumIpTarget: 5 },
    enis: [eni(0, { assigned: 6 })],
    actions: [],
    deficit: 0,
  },
  {
    name: "MINIMUM_IP=5 alone, a pod waiting: one",
    s: { minimumIpTarget: 5 },
    enis: [eni(0, { assigned: 6 })],
    pending: 1,
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 1 }],
    deficit: 1,
  },
  {
    name: "WARM_IP + MINIMUM_IP: max(assigned+warm, min)",
    s: { minimumIpTarget: 8, warmIpTarget: 1 },
    enis: [eni(0, { assigned: 3, free: 2 })],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 3 }],
    deficit: 3,
  },
  {
    name: "cooldown counts as unavailable: pool grows",
    s: { warmIpTarget: 2 },
    enis: [eni(0, { assigned: 1, cooldown: 2 })],
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 2 }],
    deficit: 2,
  },
  {
    name: "pending demand adds to WARM_IP",
    s: { warmIpTarget: 2 },
    enis: [eni(0, { assigned: 3, free: 2 })],
    pending: 3,
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 3 }],
    deficit: 3,
  },
  {
    name: "device index: lowest free >= 1",
    s: { warmIpTarget: 3 },
    enis: [eni(0, { assigned: 9 }), eni(2, { assigned: 9 })],
    actions: [create(1, 3)],
    deficit: 3,
  },
  // Prefix delegation: one slot = one /28 = 16 addresses.
  {
    name: "PD WARM_PREFIX=1, none: one prefix",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0)],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 16,
  },
  {
    name: "PD WARM_PREFIX=1, one untouched prefix: satisfied",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[0, 0]] })],
    actions: [],
    deficit: 0,
  },
  {
    name: "PD WARM_PREFIX=1, prefix with 1 used: another",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[1, 0]] })],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 16,
  },
  {
    name: "PD WARM_PREFIX=1, prefix only cooling: another",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[0, 1]] })],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 16,
  },
  {
    name: "PD ignores WARM_ENI",
    s: { prefixDelegation: true, warmPrefixTarget: 1, warmEniTarget: 3 },
    enis: [eni(0, { prefixes: [[0, 0]] })],
    actions: [],
    deficit: 0,
  },
  {
    name: "PD 17 pods waiting, 15 free in a prefix: 1 + WARM 1",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[1, 0]] })],
    pending: 17,
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 2 }],
    deficit: 32,
  },
  {
    name: "PD WARM_IP=20 rounds up to 2 prefixes",
    s: { prefixDelegation: true, warmPrefixTarget: 1, warmIpTarget: 20 },
    enis: [eni(0)],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 2 }],
    deficit: 20,
  },
  {
    name: "PD MINIMUM_IP=40 rounds up to 3 prefixes",
    s: { prefixDelegation: true, minimumIpTarget: 40 },
    enis: [eni(0)],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 3 }],
    deficit: 40,
  },
  {
    name: "PD full primary (9 prefixes): new ENI carries the prefix",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: Array(9).fill([16, 0]) })],
    actions: [create(1, 0, 1)],
    deficit: 16,
  },
];

// A zero WARM_ENI_TARGET / WARM_PREFIX_TARGET still refills an EMPTY pool:
// AWS isDatastorePoolTooLow, without WARM_IP_TARGET / MINIMUM_IP_TARGET:
//   available < addrsPerUnit * warmTarget || (warmTarget == 0 && available == 0)
// ("available" here never counts cooling addresses, see pool.ts). With
// WARM_IP_TARGET or MINIMUM_IP_TARGET set, AWS looks at their shortfall only.
const zeroTargets: Case[] = [
  {
    name: "WARM_ENI=0, 1 free: satisfied",
    s: { warmEniTarget: 0 },
    enis: [eni(0, { assigned: 3, free: 1 })],
    actions: [],
    deficit: 0,
  },
  {
    name: "WARM_ENI=0, primary full: a whole new ENI",
    s: { warmEniTarget: 0 },
    enis: [eni(0, { assigned: 9 })],
    actions: [create(1, 9)],
    deficit: 1,
  },
  {
    name: "WARM_ENI=0, only cooling addresses left: grows (cooling is not available)",
    s: { warmEniTarget: 0 },
    enis: [eni(0, { assigned: 8, cooldown: 1 })],
    actions: [create(1, 9)],
    deficit: 1,
  },
  {
    name: "WARM_ENI=0, 2 waiting for the last 2 free: fill the rest, so one stays free",
    s: { warmEniTarget: 0 },
    enis: [eni(0, { assigned: 3, free: 2 })],
    pending: 2,
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 4 }],
    deficit: 1,
  },
  {
    name: "PD WARM_PREFIX=0, no prefix: one /28",
    s: { prefixDelegation: true, warmPrefixTarget: 0 },
    enis: [eni(0)],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 16,
  },
  {
    name: "PD WARM_PREFIX=0, 1 address free in a used /28: satisfied",
    s: { prefixDelegation: true, warmPrefixTarget: 0 },
    enis: [eni(0, { prefixes: [[15, 0]] })],
    actions: [],
    deficit: 0,
  },
  {
    name: "PD WARM_PREFIX=0, every /28 full: one more",
    s: { prefixDelegation: true, warmPrefixTarget: 0 },
    enis: [eni(0, { prefixes: [[16, 0]] })],
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 16,
  },
  {
    name: "PD WARM_PREFIX=0, 16 waiting: 2 /28s (16 for them, one address left free)",
    s: { prefixDelegation: true, warmPrefixTarget: 0 },
    enis: [eni(0)],
    pending: 16,
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 2 }],
    deficit: 32,
  },
  {
    name: "WARM_ENI=0 + MINIMUM_IP=5 met, 0 free: nothing (MINIMUM_IP_TARGET decides alone)",
    s: { warmEniTarget: 0, minimumIpTarget: 5 },
    enis: [eni(0, { assigned: 6 })],
    actions: [],
    deficit: 0,
  },
  {
    name: "PD WARM_PREFIX=0 + MINIMUM_IP=16 met, /28 full: nothing",
    s: { prefixDelegation: true, warmPrefixTarget: 0, minimumIpTarget: 16 },
    enis: [eni(0, { prefixes: [[16, 0]] })],
    actions: [],
    deficit: 0,
  },
];

describe("plan: zero warm targets keep the pool from being empty", () => {
  it.each(zeroTargets)("$name", (c) => {
    const r = plan(input(c.type ?? "m5.large", settings(c.s), c.enis, { pendingDemand: c.pending ?? 0 }));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
    expect(r.shortfall).toBeUndefined();
  });

  const old = NOW - 10 * 60_000;
  it.each([
    {
      name: "idle old ENI deleted when one free address remains elsewhere",
      enis: [eni(0, { assigned: 8, free: 1 }), eni(1, { free: 9, attachedAtMs: old })],
      actions: [{ kind: "delete-eni", eniId: "eni-1" }],
    },
    {
      name: "idle old ENI kept when it holds the only free addresses (no delete/refill flapping)",
      enis: [eni(0, { assigned: 9 }), eni(1, { free: 9, attachedAtMs: old })],
      actions: [],
    },
  ])("WARM_ENI=0 scale-down: $name", (c) => {
    expect(plan(input("m5.large", settings({ warmEniTarget: 0 }), c.enis)).actions).toEqual(c.actions);
  });
});

describe("plan: growth per target", () => {
  it.each(growth)("$name", (c) => {
    const r = plan(input(c.type ?? "m5.large", settings(c.s), c.enis, { pendingDemand: c.pending ?? 0 }));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
    expect(r.shortfall).toBeUndefined();
  });
});

// pendingDemand is the set of pods waiting (every refused ADD not yet
// addressed, see ipamd/executor/input.ts stillWaiting), not a count of
// refusals since the last plan: one plan covers the whole burst.
const burst: Case[] = [
  {
    name: "c5.4xlarge, 71 pods waiting, primary full: 4 ENIs in ONE plan (71 + 29 warm, whole ENIs)",
    type: "c5.4xlarge",
    s: {},
    enis: [eni(0, { assigned: 29 })],
    pending: 71,
    actions: [create(1, 29), create(2, 29), create(3, 29), create(4, 29)],
    deficit: 100,
  },
  {
    name: "c5.4xlarge, 71 waiting, 2 ENIs already landed for them: 1 more (waiting pods hold no address yet)",
    type: "c5.4xlarge",
    s: {},
    enis: [eni(0, { assigned: 29 }), eni(1, { free: 29 }), eni(2, { free: 29 })],
    pending: 71,
    actions: [create(3, 29), create(4, 29)],
    deficit: 42,
  },
  {
    name: "c5.4xlarge, 71 waiting, 4 ENIs landed: satisfied, nothing more",
    type: "c5.4xlarge",
    s: {},
    enis: [
      eni(0, { assigned: 29 }),
      eni(1, { free: 29 }),
      eni(2, { free: 29 }),
      eni(3, { free: 29 }),
      eni(4, { free: 29 }),
    ],
    pending: 71,
    actions: [],
    deficit: 0,
  },
  {
    name: "m5.large PD, 84 waiting, 1 prefix full: ONE assign with every prefix needed (6 + 1 warm)",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[16, 0]] })],
    pending: 84,
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 7 }],
    deficit: 112,
  },
  {
    name: "m5.large PD, 84 waiting, a partly used prefix's 10 free go first",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: [[6, 0]] })],
    pending: 84,
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 6 }],
    deficit: 96,
  },
];

describe("plan: a burst of waiting pods is planned in one go", () => {
  it.each(burst)("$name", (c) => {
    const r = plan(input(c.type ?? "m5.large", settings(c.s), c.enis, { pendingDemand: c.pending ?? 0 }));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
    expect(r.shortfall).toBeUndefined();
  });
});

describe("plan: scale-down", () => {
  const old = NOW - 10 * 60_000;
  const cases: Case[] = [
    {
      name: "WARM_IP=2, 7 free: release 5 highest",
      s: { warmIpTarget: 2 },
      enis: [eni(0, { assigned: 2, free: 7 })],
      actions: [
        {
          kind: "release-ips",
          eniId: "eni-0",
          ips: ["10.0.0.18", "10.0.0.17", "10.0.0.16", "10.0.0.15", "10.0.0.14"],
        },
      ],
      deficit: 0,
    },
    {
      name: "cooling addresses are never released",
      s: { warmIpTarget: 0, minimumIpTarget: 1 },
      enis: [eni(0, { assigned: 1, cooldown: 3 })],
      actions: [],
      deficit: 0,
    },
    {
      name: "MINIMUM_IP floor kept",
      s: { minimumIpTarget: 6, warmIpTarget: 1 },
      enis: [eni(0, { assigned: 2, free: 7 })],
      actions: [{ kind: "release-ips", eniId: "eni-0", ips: ["10.0.0.18", "10.0.0.17", "10.0.0.16"] }],
      deficit: 0,
    },
    {
      name: "idle old ENI deleted first",
      s: { warmIpTarget: 2 },
      enis: [eni(0, { assigned: 2, free: 3 }), eni(1, { free: 4, attachedAtMs: old })],
      actions: [{ kind: "delete-eni", eniId: "eni-1" }],
      deficit: 0,
    },
    {
      name: "young idle ENI kept (releases IPs instead)",
      s: { warmIpTarget: 2 },
      enis: [eni(0, { assigned: 2, free: 3 }), eni(1, { free: 4, attachedAtMs: NOW - 1000 })],
      actions: [
        { kind: "release-ips", eniId: "eni-1", ips: ["10.0.1.13", "10.0.1.12", "10.0.1.11", "10.0.1.10"] },
      ],
      deficit: 0,
    },
    {
      name: "ENI with a cooling address not deleted",
      s: { warmIpTarget: 1 },
      enis: [eni(0, { assigned: 2, free: 1 }), eni(1, { cooldown: 1, attachedAtMs: old })],
      actions: [],
      deficit: 0,
    },
    {
      name: "primary never deleted",
      s: { warmIpTarget: 1 },
      enis: [eni(0, { free: 1 })],
      actions: [],
      deficit: 0,
    },
    {
      name: "WARM_ENI mode: no IP release; extra idle ENI deleted",
      s: { warmEniTarget: 1 },
      enis: [
        eni(0, { assigned: 1, free: 8 }),
        eni(1, { free: 9, attachedAtMs: old }),
        eni(2, { free: 9, attachedAtMs: old }),
      ],
      actions: [{ kind: "delete-eni", eniId: "eni-2" }],
      deficit: 0,
    },
    {
      name: "WARM_ENI mode: needed idle ENI kept",
      s: { warmEniTarget: 1 },
      enis: [eni(0, { assigned: 1, free: 8 }), eni(1, { free: 9, attachedAtMs: old })],
      actions: [],
      deficit: 0,
    },
    {
      name: "PD: extra whole prefixes released, busy ones kept",
      s: { prefixDelegation: true, warmPrefixTarget: 1 },
      enis: [
        eni(0, {
          prefixes: [
            [3, 0],
            [0, 0],
            [0, 1],
            [0, 0],
            [0, 0],
          ],
        }),
      ],
      actions: [{ kind: "release-prefixes", eniId: "eni-0", prefixes: ["10.100.4.0/28", "10.100.3.0/28"] }],
      deficit: 0,
    },
  ];
  it.each(cases)("$name", (c) => {
    const r = plan(input(c.type ?? "m5.large", settings(c.s), c.enis, { pendingDemand: c.pending ?? 0 }));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
  });

  it("at most one scale-down action per interval", () => {
    const s = settings({ warmIpTarget: 2, scaleDownIntervalMs: 30_000 });
    const enis = [eni(0, { assigned: 2, free: 7 })];
    expect(plan(input("m5.large", s, enis, { lastScaleDownMs: NOW - 29_999 })).actions).toEqual([]);
    expect(plan(input("m5.large", s, enis, { lastScaleDownMs: NOW - 30_000 })).actions).toHaveLength(1);
  });

  it("never scales up and down in one plan", () => {
    // Primary full and busy; an idle old ENI exists but WARM_IP needs more than it holds.
    const enis = [eni(0, { assigned: 9 }), eni(1, { free: 2, attachedAtMs: old })];
    const r = plan(input("m5.large", settings({ warmIpTarget: 5 }), enis));
    expect(r.actions).toEqual([{ kind: "assign-ips", eniId: "eni-1", count: 3 }]);
  });
});
