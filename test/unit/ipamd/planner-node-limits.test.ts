// The node's own limits as the AWS VPC CNI applies them (pkg/ipamd/ipamd.go):
//  - max pods: isDatastorePoolTooLow says "not low" once TotalIPs >= maxPods;
//  - ENIs it does not manage: hasRoomForEni counts maxENI - unmanagedENI;
//  - MAX_ENI below the instance's limit: the shortfall names MAX_ENI;
//  - ENABLE_PREFIX_DELEGATION on a non-Nitro instance: isConfigValid falls
//    back to secondary IPs with a warning.
import { describe, expect, it } from "vitest";
import { INSTANCE_TYPES } from "../../../cloud/limits/instance-types.ts";
import { instanceLimits } from "../../../cloud/limits/limits.ts";
import { effectivePoolSettings, exhaustionReason, plan } from "../../../ipamd/planner/plan.ts";
import type { PlanAction, PlannerEni, PlannerInput, PoolSettings } from "../../../ipamd/planner/types.ts";
import { apply, create, eni, input, limitsOf, settings } from "./planner-helpers.ts";

interface Case {
  name: string;
  type: string;
  s: Partial<PoolSettings>;
  enis: PlannerEni[];
  over?: Partial<PlannerInput>;
  actions: PlanAction[];
  deficit: number;
}

/** c5.9xlarge: 8 ENIs x 30 IPv4 (29 pod addresses each); EKS max pods 234, kubelet often 110. */
const full = (dev: number, assigned = 29) => eni(dev, { assigned });

const maxPodsCases: Case[] = [
  {
    name: "110 pods on 4 ENIs (116 addresses), max pods 110: no 5th ENI",
    type: "c5.9xlarge",
    s: {},
    enis: [full(0), full(1), full(2), eni(3, { assigned: 23, free: 6 })],
    over: { maxPods: 110 },
    actions: [],
    deficit: 0,
  },
  {
    name: "same node without max pods: a 5th ENI (unchanged behaviour)",
    type: "c5.9xlarge",
    s: {},
    enis: [full(0), full(1), full(2), eni(3, { assigned: 23, free: 6 })],
    actions: [create(4, 29)],
    deficit: 23,
  },
  {
    name: "87 pods on 3 full ENIs, max pods 110: the 4th ENI still comes whole (116, as AWS)",
    type: "c5.9xlarge",
    s: {},
    enis: [full(0), full(1), full(2)],
    over: { maxPods: 110 },
    actions: [create(3, 29)],
    deficit: 23,
  },
  {
    name: "fresh node, 200 waiting, max pods 110: one plan stops at 116 (not 8 ENIs)",
    type: "c5.9xlarge",
    s: {},
    enis: [eni(0)],
    over: { maxPods: 110, pendingDemand: 200 },
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 29 }, create(1, 29), create(2, 29), create(3, 29)],
    deficit: 110,
  },
  {
    name: "cooling addresses count toward max pods (AWS TotalIPs)",
    type: "c5.9xlarge",
    s: {},
    enis: [full(0), full(1), full(2), eni(3, { assigned: 17, cooldown: 6, free: 6 })],
    over: { maxPods: 110, pendingDemand: 3 },
    actions: [],
    deficit: 0,
  },
  {
    name: "WARM_IP=20 at 100 of max pods 110: exactly 10 more",
    type: "c5.9xlarge",
    s: { warmIpTarget: 20 },
    enis: [full(0), full(1), full(2), eni(3, { assigned: 13 })],
    over: { maxPods: 110 },
    actions: [{ kind: "assign-ips", eniId: "eni-3", count: 10 }],
    deficit: 10,
  },
  {
    name: "MINIMUM_IP=200 with max pods 110: up to 110",
    type: "c5.9xlarge",
    s: { minimumIpTarget: 200 },
    enis: [eni(0)],
    over: { maxPods: 110 },
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 29 }, create(1, 29), create(2, 29), create(3, 23)],
    deficit: 110,
  },
  {
    name: "max pods above the pool: no effect",
    type: "c5.9xlarge",
    s: { warmIpTarget: 5 },
    enis: [eni(0, { assigned: 27 })],
    over: { maxPods: 250 },
    actions: [{ kind: "assign-ips", eniId: "eni-0", count: 2 }, create(1, 3)],
    deficit: 5,
  },
  // Prefix delegation: whole /28s, counted as 16 addresses each.
  {
    name: "PD 7 full /28s (112 addresses), max pods 110: no 8th",
    type: "m5.large",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: Array(7).fill([16, 0]) })],
    over: { maxPods: 110 },
    actions: [],
    deficit: 0,
  },
  {
    name: "PD 6 full /28s (96), max pods 110, 30 waiting: one /28 (to 112), not 3",
    type: "m5.large",
    s: { prefixDelegation: true, warmPrefixTarget: 1 },
    enis: [eni(0, { prefixes: Array(6).fill([16, 0]) })],
    over: { maxPods: 110, pendingDemand: 30 },
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 14,
  },
  {
    name: "PD WARM_IP=40 at 96 of max pods 110: one /28",
    type: "m5.large",
    s: { prefixDelegation: true, warmIpTarget: 40 },
    enis: [eni(0, { prefixes: Array(6).fill([16, 0]) })],
    over: { maxPods: 110 },
    actions: [{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }],
    deficit: 14,
  },
];

describe("plan: growth stops at the node's max pods", () => {
  it.each(maxPodsCases)("$name", (c) => {
    const r = plan(input(c.type, settings(c.s), c.enis, c.over));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
    expect(r.shortfall).toBeUndefined();
  });

  it("never releases for the cap: WARM_ENI keeps the ENIs above it", () => {
    const old = 0;
    const enis = [full(0), full(1), full(2), eni(3, { free: 29, attachedAtMs: old })];
    expect(plan(input("c5.9xlarge", settings(), enis, { maxPods: 60 })).actions).toEqual([]);
  });

  it("at the cap a waiting pod is told why the pool does not grow", () => {
    const enis = [full(0), full(1), full(2), eni(3, { assigned: 23, cooldown: 6 })];
    const inp = input("c5.9xlarge", settings(), enis, { maxPods: 110, pendingDemand: 1 });
    const r = plan(inp);
    expect(r.actions).toEqual([]);
    expect(exhaustionReason(inp, r)).toBe(
      "no free pod address on this node (110 of 116 assigned): 6 released addresses are cooling down; " +
        "the pool holds the node's max pods (110) and grows no further",
    );
  });

  it.each([
    { type: "c5.9xlarge", s: settings(), maxPods: 110, held: 116, enis: 4 },
    { type: "c5.9xlarge", s: settings({ warmIpTarget: 3 }), maxPods: 110, held: 110, enis: 4 },
    {
      type: "m5.large",
      s: settings({ prefixDelegation: true, warmPrefixTarget: 1 }),
      maxPods: 110,
      held: 112,
      enis: 1,
    },
  ])("filling $type pod by pod stops at $held addresses (max pods $maxPods)", (c) => {
    let enis = [eni(0)];
    for (let step = 0; step < 500; step++) {
      const r = plan(input(c.type, c.s, enis, { maxPods: c.maxPods, pendingDemand: 1 }));
      enis = apply(enis, r.actions);
      const slot = enis.flatMap((e) => e.ips).find((x) => x.state === "free");
      const pr = enis.flatMap((e) => e.prefixes).find((x) => x.assigned < 16);
      if (slot) slot.state = "assigned";
      else if (pr) pr.assigned++;
      else break;
    }
    const held = enis.reduce((n, e) => n + e.ips.length + e.prefixes.length * 16, 0);
    expect(held).toBe(c.held);
    expect(enis).toHaveLength(c.enis);
  });
});

describe("plan: ENIs ipamd does not manage (reservedDeviceIndexes)", () => {
  const cases: Case[] = [
    {
      name: "m5.large, unmanaged ENI at device 1, WARM_ENI=2: only device 2 (AWS maxENI - unmanaged)",
      type: "m5.large",
      s: { warmEniTarget: 2 },
      enis: [full(0, 9)],
      over: { reservedDeviceIndexes: [1] },
      actions: [create(2, 9)],
      deficit: 18,
    },
    {
      name: "same without it: devices 1 and 2",
      type: "m5.large",
      s: { warmEniTarget: 2 },
      enis: [full(0, 9)],
      actions: [create(1, 9), create(2, 9)],
      deficit: 18,
    },
    {
      name: "c5.4xlarge, devices 1 and 3 reserved: new ENIs at 2, 4",
      type: "c5.4xlarge",
      s: { warmIpTarget: 40 },
      enis: [full(0)],
      over: { reservedDeviceIndexes: [3, 1] },
      actions: [create(2, 29), create(4, 11)],
      deficit: 40,
    },
    {
      name: "an index also held by a pool ENI counts once",
      type: "m5.large",
      s: { warmIpTarget: 9 },
      enis: [full(0, 9), full(1, 9)],
      over: { reservedDeviceIndexes: [1] },
      actions: [create(2, 9)],
      deficit: 9,
    },
  ];
  it.each(cases)("$name", (c) => {
    const r = plan(input(c.type, settings(c.s), c.enis, c.over));
    expect(r.actions).toEqual(c.actions);
    expect(r.deficit).toBe(c.deficit);
  });

  it("the shortfall counts them and says so", () => {
    const r = plan(
      input("m5.large", settings({ warmEniTarget: 2 }), [full(0, 9)], { reservedDeviceIndexes: [1] }),
    );
    expect(r.shortfall).toEqual({
      cause: "instance-limit",
      missing: 9,
      message:
        "node holds 9 of its 18 pod addresses (2 ENIs × 9, m5.large limit, 1 more attached ENI ipamd " +
        "does not manage (no_manage tag, or attaching / detaching)): 9 assigned, 0 cooling down, 0 free; 9 more wanted",
    });
  });

  it("with every slot reserved, no ENI is created at all", () => {
    const r = plan(input("m5.large", settings(), [full(0, 9)], { reservedDeviceIndexes: [1, 2] }));
    expect(r.actions).toEqual([]);
    expect(r.shortfall?.cause).toBe("instance-limit");
    expect(r.shortfall?.message).toContain("node holds 9 of its 9 pod addresses (1 ENIs × 9");
  });
});

describe("plan: MAX_ENI below the instance's limit is named as the cause", () => {
  const info = INSTANCE_TYPES["m5.large"]!;
  // As the daemon builds them: limits already capped by MAX_ENI (resolveInstanceLimits).
  it.each([
    {
      name: "limits and settings both capped (the daemon)",
      limits: instanceLimits(info, { maxEni: 2 }),
      s: { maxEni: 2 },
      cause: "max-eni",
      msg: "node holds 18 of its 18 pod addresses (MAX_ENI=2 of the m5.large's 3 ENIs, 2 ENIs × 9): ",
    },
    {
      name: "limits capped only",
      limits: instanceLimits(info, { maxEni: 2 }),
      s: {},
      cause: "max-eni",
      msg: "(MAX_ENI=2 of the m5.large's 3 ENIs, 2 ENIs × 9)",
    },
    {
      name: "settings capped only",
      limits: instanceLimits(info),
      s: { maxEni: 2 },
      cause: "max-eni",
      msg: "(MAX_ENI=2 of the m5.large's 3 ENIs, 2 ENIs × 9)",
    },
    {
      name: "MAX_ENI above the instance: the instance limit",
      limits: instanceLimits(info, { maxEni: 5 }),
      s: { maxEni: 5 },
      cause: "instance-limit",
      msg: "node holds 27 of its 27 pod addresses (3 ENIs × 9, m5.large limit): ",
    },
    {
      name: "limits without instanceMaxEnis (older callers): the instance limit",
      limits: limitsOf("m5.large"),
      s: {},
      cause: "instance-limit",
      msg: "(3 ENIs × 9, m5.large limit)",
    },
  ])("$name", (c) => {
    const enis = [full(0, 9), full(1, 9), ...(c.limits.maxEnis > 2 && c.s.maxEni !== 2 ? [full(2, 9)] : [])];
    const inp = { ...input("m5.large", settings(c.s), enis, { pendingDemand: 1 }), limits: c.limits };
    const r = plan(inp);
    expect(r.actions).toEqual([]);
    expect(r.shortfall?.cause).toBe(c.cause);
    expect(r.shortfall?.message).toContain(c.msg);
    expect(exhaustionReason(inp, r)).toBe(r.shortfall?.message);
  });

  it("instanceLimits keeps the card's own ENI limit", () => {
    expect(instanceLimits(info, { maxEni: 2 })).toMatchObject({ maxEnis: 2, instanceMaxEnis: 3 });
    expect(instanceLimits(info)).toMatchObject({ maxEnis: 3, instanceMaxEnis: 3 });
    expect(instanceLimits(INSTANCE_TYPES["p4d.24xlarge"]!, { maxEni: 4 })).toMatchObject({
      maxEnis: 4,
      instanceMaxEnis: 15,
    });
  });
});

describe("effectivePoolSettings: prefix delegation on an instance without it falls back", () => {
  const xen = instanceLimits(INSTANCE_TYPES["m4.large"]!);
  const t2 = instanceLimits(INSTANCE_TYPES["t2.medium"]!);
  const nitro = instanceLimits(INSTANCE_TYPES["m5.large"]!);
  const metal = instanceLimits(INSTANCE_TYPES["m5.metal"]!);
  it.each([
    {
      name: "m4.large (xen), PD on: secondary IPs + warning",
      limits: xen,
      pd: true,
      want: false,
      warns: true,
    },
    {
      name: "t2.medium (xen), PD on: secondary IPs + warning",
      limits: t2,
      pd: true,
      want: false,
      warns: true,
    },
    { name: "m5.large (nitro), PD on: kept", limits: nitro, pd: true, want: true, warns: false },
    { name: "m5.metal (bare metal), PD on: kept", limits: metal, pd: true, want: true, warns: false },
    { name: "m4.large, PD off: unchanged", limits: xen, pd: false, want: false, warns: false },
  ])("$name", (c) => {
    const s = settings({ prefixDelegation: c.pd, warmPrefixTarget: c.pd ? 1 : 0, warmEniTarget: 1 });
    const r = effectivePoolSettings(s, c.limits);
    expect(r.settings).toEqual({ ...s, prefixDelegation: c.want });
    expect(r.warning !== undefined).toBe(c.warns);
    if (c.warns) {
      expect(r.warning).toContain(`ENABLE_PREFIX_DELEGATION=true, but ${c.limits.instanceType} (xen)`);
      expect(r.warning).toContain("using secondary IPs instead");
    } else expect(r.settings).toBe(s);
  });

  it("planned with the effective settings, an m4.large grows secondary IPs, not prefixes", () => {
    const s = settings({ prefixDelegation: true, warmPrefixTarget: 1 });
    const enis = [eni(0)];
    const raw = plan({ ...input("m5.large", s, enis), limits: xen });
    expect(raw.actions).toEqual([{ kind: "assign-prefixes", eniId: "eni-0", count: 1 }]);
    const eff = plan({ ...input("m5.large", effectivePoolSettings(s, xen).settings, enis), limits: xen });
    expect(eff.actions).toEqual([{ kind: "assign-ips", eniId: "eni-0", count: 9 }]);
  });
});
