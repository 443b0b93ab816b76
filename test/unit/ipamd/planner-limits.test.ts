import { describe, expect, it } from "vitest";
import { exhaustionReason, plan, poolConfigProblem } from "../../../ipamd/planner/plan.ts";
import type { PlannerEni, PlannerInput, PoolSettings } from "../../../ipamd/planner/types.ts";
import { rng } from "../../support/rng.ts";
import { apply, eni, input, limitsOf, NOW, SUBNET, settings } from "./planner-helpers.ts";

/** Marks the lowest free address as assigned; false when none is free. */
function addPod(enis: PlannerEni[]): boolean {
  for (const e of enis) {
    const ip = e.ips.find((x) => x.state === "free");
    if (ip) {
      ip.state = "assigned";
      return true;
    }
    const p = e.prefixes.find((x) => x.assigned + x.cooldown < 16);
    if (p) {
      p.assigned++;
      return true;
    }
  }
  return false;
}

function checkLimits(inp: PlannerInput, enis: PlannerEni[]) {
  const cap = Math.min(inp.limits.maxEnis, inp.settings.maxEni ?? Number.POSITIVE_INFINITY);
  expect(enis.length).toBeLessThanOrEqual(cap);
  for (const e of enis)
    expect(e.ips.length + e.prefixes.length).toBeLessThanOrEqual(inp.limits.ipv4PerEni - 1);
  expect(new Set(enis.map((e) => e.deviceIndex)).size).toBe(enis.length);
}

/** Adds pods one by one, planning after each, until a pod finds no address even after a plan. */
function fillUp(type: string, s: PoolSettings, over: Partial<PlannerInput> = {}) {
  let enis = [eni(0)];
  let pods = 0;
  for (let step = 0; step < 2000; step++) {
    const inp = input(type, s, enis, over);
    const r = plan({ ...inp, pendingDemand: 0 });
    expect(r.actions.every((a) => !a.kind.startsWith("release") && a.kind !== "delete-eni")).toBe(true);
    enis = apply(enis, r.actions);
    checkLimits(inp, enis);
    if (addPod(enis)) {
      pods++;
      continue;
    }
    const waiting = plan({ ...input(type, s, enis, over), pendingDemand: 1 });
    if (waiting.actions.length > 0) {
      enis = apply(enis, waiting.actions);
      continue;
    }
    return { pods, enis, last: waiting, inp: { ...input(type, s, enis, over), pendingDemand: 1 } };
  }
  throw new Error("did not converge");
}

describe("plan: filling a node pod by pod up to the instance limit", () => {
  const cases = [
    {
      type: "t3.medium",
      s: settings(),
      pods: 15,
      msg: "node holds 15 of its 15 pod addresses (3 ENIs × 5, t3.medium limit)",
    },
    {
      type: "m5.large",
      s: settings(),
      pods: 27,
      msg: "node holds 27 of its 27 pod addresses (3 ENIs × 9, m5.large limit)",
    },
    { type: "m5.large", s: settings({ warmIpTarget: 2, minimumIpTarget: 4 }), pods: 27, msg: "27 of its 27" },
    { type: "t3.medium", s: settings({ warmIpTarget: 1 }), pods: 15, msg: "15 of its 15" },
    {
      type: "m5.large",
      s: settings({ prefixDelegation: true, warmPrefixTarget: 1 }),
      pods: 432,
      msg: "node holds 432 of its 432 pod addresses (3 ENIs × 9 /28 prefixes × 16",
    },
    {
      type: "m5.large",
      s: settings({ maxEni: 2 }),
      pods: 18,
      msg: "node holds 18 of its 18 pod addresses (MAX_ENI=2 of the m5.large's 3 ENIs",
    },
    { type: "m5.large", s: settings({ maxEni: 5 }), pods: 27, msg: "(3 ENIs × 9, m5.large limit)" },
  ];
  it.each(cases)("$type $s", (c) => {
    const r = fillUp(c.type, c.s);
    expect(r.pods).toBe(c.pods);
    expect(r.last.shortfall?.cause).toBe(c.s.maxEni === 2 ? "max-eni" : "instance-limit");
    expect(r.last.shortfall?.message).toContain(c.msg);
    expect(r.last.shortfall?.missing).toBeGreaterThan(0);
    expect(exhaustionReason(r.inp, r.last)).toBe(r.last.shortfall?.message);
  });

  it("custom networking: no pods on the primary ENI, new ENIs in the ENIConfig subnet", () => {
    const over = { podsOnPrimaryEni: false, subnet: { id: "subnet-pods", securityGroupIds: ["sg-pods"] } };
    const r = fillUp("m5.large", settings(), over);
    expect(r.pods).toBe(18);
    expect(r.enis.find((e) => e.primary)?.ips).toEqual([]);
    expect(r.enis.filter((e) => !e.primary).every((e) => e.subnetId === "subnet-pods")).toBe(true);
    expect(r.last.shortfall?.message).toContain("node holds 18 of its 18 pod addresses (2 ENIs × 9");
    expect(r.last.shortfall?.message).toContain("custom networking");
  });
});

describe("plan: subnet limits", () => {
  const full = [eni(0, { assigned: 9 })];

  it("while backed off: no growth in that subnet, cause subnet-backoff", () => {
    const r = plan(
      input("m5.large", settings({ warmIpTarget: 2 }), full, {
        subnet: { id: SUBNET, securityGroupIds: [], exhaustedUntilMs: NOW + 42_000 },
      }),
    );
    expect(r.actions).toEqual([]);
    expect(r.shortfall?.cause).toBe("subnet-backoff");
    expect(r.shortfall?.message).toContain("asking again in 42 s");
  });

  it("backoff over: grows again", () => {
    const r = plan(
      input("m5.large", settings({ warmIpTarget: 2 }), full, {
        subnet: { id: SUBNET, securityGroupIds: [], exhaustedUntilMs: NOW },
      }),
    );
    expect(r.actions).toHaveLength(1);
    expect(r.shortfall).toBeUndefined();
  });

  it("backoff of the new-ENI subnet does not block ENIs in other subnets", () => {
    const enis = [eni(0, { assigned: 9 }), eni(1, { assigned: 2, subnetId: "subnet-other" })];
    const r = plan(
      input("m5.large", settings({ warmIpTarget: 3 }), enis, {
        subnet: { id: SUBNET, securityGroupIds: [], exhaustedUntilMs: NOW + 1 },
      }),
    );
    expect(r.actions).toEqual([{ kind: "assign-ips", eniId: "eni-1", count: 3 }]);
    expect(r.shortfall).toBeUndefined();
  });

  it("known free count caps growth: cause subnet-full", () => {
    const r = plan(
      input("m5.large", settings({ warmIpTarget: 5 }), [eni(0, { assigned: 2 })], {
        subnet: { id: SUBNET, securityGroupIds: [], availableIpAddressCount: 3 },
      }),
    );
    expect(r.actions).toEqual([{ kind: "assign-ips", eniId: "eni-0", count: 3 }]);
    expect(r.shortfall).toMatchObject({ cause: "subnet-full", missing: 2 });
  });

  it("a new ENI also costs its own primary address", () => {
    const r = plan(
      input("m5.large", settings({ warmIpTarget: 3 }), full, {
        subnet: { id: SUBNET, securityGroupIds: [], availableIpAddressCount: 3 },
      }),
    );
    expect(r.actions).toMatchObject([{ kind: "create-eni", ipCount: 2 }]);
    expect(r.shortfall?.cause).toBe("subnet-full");
  });

  it("the instance limit wins over the subnet when both bind", () => {
    const enis = [eni(0, { assigned: 9 }), eni(1, { assigned: 9 }), eni(2, { assigned: 9 })];
    const r = plan(
      input("m5.large", settings(), enis, {
        subnet: { id: SUBNET, securityGroupIds: [], exhaustedUntilMs: NOW + 1 },
      }),
    );
    expect(r.shortfall?.cause).toBe("instance-limit");
  });
});

describe("plan: no oscillation (random pools reach a fixpoint)", () => {
  // Seeded so failures reproduce.
  const r = rng(12345);
  const rnd = (n: number) => Math.floor(r() * n);
  it("after applying a plan's growth, the next plan is empty", () => {
    for (let i = 0; i < 300; i++) {
      const pd = rnd(3) === 0;
      const s = settings({
        prefixDelegation: pd,
        warmPrefixTarget: pd ? rnd(3) : 0,
        warmEniTarget: rnd(3),
        warmIpTarget: rnd(2) ? rnd(20) || undefined : undefined,
        minimumIpTarget: rnd(2) ? rnd(40) || undefined : undefined,
        maxEni: rnd(3) === 0 ? 1 + rnd(4) : undefined,
      });
      const enis = [eni(0, { assigned: rnd(4), cooldown: rnd(2), free: rnd(3) })];
      const pending = rnd(3);
      let r = plan(input("m5.xlarge", s, enis, { pendingDemand: pending }));
      const after = apply(enis, r.actions, NOW - 3_600_000);
      // The waiting pods then get their addresses.
      for (let p = 0; p < pending; p++) expect(addPod(after)).toBe(true);
      r = plan(input("m5.xlarge", s, after));
      expect(r.actions.filter((a) => a.kind.startsWith("assign") || a.kind === "create-eni")).toEqual([]);
      expect(r.actions.filter((a) => a.kind === "delete-eni")).toEqual([]);
    }
  });
});

describe("poolConfigProblem", () => {
  it.each([
    ["m5.large", { prefixDelegation: true }, true, undefined],
    ["m5.large", {}, true, undefined],
    ["m5.large", { maxEni: 1 }, false, "custom networking"],
    ["m5.large", { maxEni: 2 }, false, undefined],
  ] as const)("%s %o podsOnPrimary=%s", (type, s, onPrimary, expected) => {
    const msg = poolConfigProblem(settings(s), limitsOf(type), onPrimary);
    if (expected === undefined) expect(msg).toBeUndefined();
    else expect(msg).toContain(expected);
  });
  it("prefix delegation on a Xen instance names the setting", () => {
    const xen = {
      ...limitsOf("m5.large"),
      instanceType: "m4.large",
      hypervisor: "xen" as const,
      prefixDelegation: false,
    };
    expect(poolConfigProblem(settings({ prefixDelegation: true }), xen)).toContain(
      "ENABLE_PREFIX_DELEGATION=true needs a Nitro instance; m4.large is xen",
    );
  });
});
