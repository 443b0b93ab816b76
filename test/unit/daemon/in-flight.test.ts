// withInFlight: the pool as it will be once the growth in flight lands, so a
// plan made mid-attach asks only for what that growth does not cover.
import { describe, expect, it } from "vitest";
import { IN_FLIGHT_ENI_PREFIX, targetsInFlightEni, withInFlight } from "../../../ipamd/executor/input.ts";
import { plan } from "../../../ipamd/planner/plan.ts";
import type { PlanAction, PlannerEni, PlannerInput } from "../../../ipamd/planner/types.ts";
import { settings } from "../ipamd/planner-helpers.ts";

const NOW = 1_000_000;
const primary = (free: number, assigned: number): PlannerEni => ({
  id: "eni-0",
  deviceIndex: 0,
  primary: true,
  subnetId: "subnet-a",
  attachedAtMs: 0,
  ips: [
    ...Array.from({ length: assigned }, (_, i) => ({ ip: `10.0.0.${10 + i}`, state: "assigned" as const })),
    ...Array.from({ length: free }, (_, i) => ({ ip: `10.0.0.${100 + i}`, state: "free" as const })),
  ],
  prefixes: [],
});
const create = (deviceIndex: number, ipCount: number, prefixCount = 0): PlanAction => ({
  kind: "create-eni",
  subnetId: "subnet-a",
  securityGroupIds: ["sg-1"],
  deviceIndex,
  ipCount,
  prefixCount,
});
const freeCount = (enis: PlannerEni[]) =>
  enis.reduce((n, e) => n + e.ips.filter((i) => i.state === "free").length, 0);

describe("withInFlight", () => {
  it.each([
    { name: "nothing in flight: the same ENIs", inFlight: [], enis: 1, free: 2 },
    {
      name: "an assign: free addresses on its ENI",
      inFlight: [{ kind: "assign-ips", eniId: "eni-0", count: 5 }],
      enis: 1,
      free: 7,
    },
    {
      name: "a create: an ENI at its device index with its addresses",
      inFlight: [create(1, 9)],
      enis: 2,
      free: 11,
    },
    {
      name: "two creates and an assign",
      inFlight: [create(1, 9), create(2, 9), { kind: "assign-ips", eniId: "eni-0", count: 1 }],
      enis: 3,
      free: 21,
    },
    {
      name: "an assign on an unknown ENI adds nothing",
      inFlight: [{ kind: "assign-ips", eniId: "eni-9", count: 4 }],
      enis: 1,
      free: 2,
    },
  ] as { name: string; inFlight: PlanAction[]; enis: number; free: number }[])(
    "$name",
    ({ inFlight, enis, free }) => {
      const input = [primary(2, 7)];
      const out = withInFlight(input, inFlight, NOW);
      expect(out).toHaveLength(enis);
      expect(freeCount(out)).toBe(free);
      expect(out.map((e) => e.deviceIndex)).toEqual([...out.map((e) => e.deviceIndex)].sort((a, b) => a - b));
      expect(freeCount(input)).toBe(2); // the input is not changed
    },
  );

  it("prefixes in flight count as whole free prefixes", () => {
    const out = withInFlight(
      [primary(0, 0)],
      [{ kind: "assign-prefixes", eniId: "eni-0", count: 2 }, create(1, 0, 3)],
      NOW,
    );
    expect(out.map((e) => e.prefixes.length)).toEqual([2, 3]);
    expect(out[1]!.id.startsWith(IN_FLIGHT_ENI_PREFIX)).toBe(true);
  });

  it("a plan on the in-flight view asks only for the rest, on new device indexes", () => {
    // 8 ENIs x 10 (9 for pods), WARM_ENI_TARGET=1, the primary full, 20 pods waiting,
    // and one ENI (device 1) already attaching: three more ENIs, at devices 2, 3 and 4.
    const input: PlannerInput = {
      nowMs: NOW,
      settings: settings(),
      limits: {
        instanceType: "t.8x10",
        maxEnis: 8,
        ipv4PerEni: 10,
        prefixDelegation: false,
        hypervisor: "nitro",
        bareMetal: false,
      },
      enis: withInFlight([primary(0, 9)], [create(1, 9)], NOW),
      subnet: { id: "subnet-a", securityGroupIds: ["sg-1"] },
      pendingDemand: 20,
      lastScaleDownMs: 0,
    };
    const actions = plan(input).actions;
    // 20 waiting + 9 warm = 29 free needed; 9 are coming: 20 more = 3 ENIs of 9.
    expect(actions.map((a) => (a.kind === "create-eni" ? a.deviceIndex : a.kind))).toEqual([2, 3, 4]);
    expect(actions.some(targetsInFlightEni)).toBe(false);
  });

  it("targetsInFlightEni: growth onto a made-up ENI is never sent to EC2", () => {
    expect(targetsInFlightEni({ kind: "assign-ips", eniId: `${IN_FLIGHT_ENI_PREFIX}1`, count: 1 })).toBe(
      true,
    );
    expect(targetsInFlightEni({ kind: "assign-ips", eniId: "eni-0", count: 1 })).toBe(false);
  });
});
