import { describe, expect, it } from "vitest";
import type { ObservedEni } from "../../../ipamd/datastore/types.ts";
import {
  maxPodAddresses,
  plannerInput,
  poolSnapshot,
  stillWaiting,
  trustObservation,
  WAITING_POD_TTL_MS,
} from "../../../ipamd/executor/input.ts";
import { addressesOf } from "../../../ipamd/executor/pool-loop.ts";
import type { PoolSettings } from "../../../ipamd/planner/types.ts";
import { settings as plannerSettings } from "../ipamd/planner-helpers.ts";
import { M5_LARGE } from "./pool-loop-fixture.ts";

const settings: PoolSettings = plannerSettings();
const limits = M5_LARGE;

function eni(id: string, deviceIndex: number, ips: string[]): ObservedEni {
  return {
    id,
    mac: `02:00:00:00:00:0${deviceIndex}`,
    deviceIndex,
    primary: deviceIndex === 0,
    subnetId: "subnet-1",
    subnetCidr: "10.0.1.0/24",
    primaryIp: `10.0.1.${100 + deviceIndex}`,
    attachedAtMs: 0,
    ips,
    prefixes: [],
  };
}

describe("plannerInput", () => {
  it("copies the state, never negative demand, and a private subnet copy", () => {
    const state = {
      settings,
      limits,
      subnet: { id: "subnet-1", securityGroupIds: ["sg-1"] },
      podsOnPrimaryEni: false,
      pendingDemand: -3,
      lastScaleDownMs: 42,
    };
    const input = plannerInput(state, [], 1000);
    expect(input).toMatchObject({
      nowMs: 1000,
      pendingDemand: 0,
      lastScaleDownMs: 42,
      podsOnPrimaryEni: false,
    });
    input.subnet.exhaustedUntilMs = 5;
    expect(state.subnet).not.toHaveProperty("exhaustedUntilMs");
    expect(input).not.toHaveProperty("maxPods");
    expect(input).not.toHaveProperty("reservedDeviceIndexes");
  });

  it("passes the node's max pods and the reserved device indexes on", () => {
    const state = {
      settings,
      limits,
      subnet: { id: "subnet-1", securityGroupIds: ["sg-1"] },
      podsOnPrimaryEni: true,
      pendingDemand: 0,
      lastScaleDownMs: 0,
      maxPods: 110,
      reservedDeviceIndexes: [1],
    };
    expect(plannerInput(state, [], 1000)).toMatchObject({ maxPods: 110, reservedDeviceIndexes: [1] });
  });
});

describe("trustObservation (IMDS lag)", () => {
  const now = 100_000;
  const window = 60_000;
  const current = [eni("eni-0", 0, ["10.0.1.5", "10.0.1.6"]), eni("eni-1", 1, ["10.0.1.20"])];
  const changes = (enis: [string, number][], addresses: [string, number][]) => ({
    enis: new Map(enis),
    addresses: new Map(addresses),
  });
  const ipsOf = (out: ObservedEni[], id: string) =>
    out
      .find((e) => e.id === id)
      ?.ips.slice()
      .sort();

  it("follows the observation when ipamd changed nothing recently", () => {
    const observed = [eni("eni-0", 0, ["10.0.1.5"]), eni("eni-1", 1, ["10.0.1.20", "10.0.1.21"])];
    expect(trustObservation(observed, current, changes([], []), now, window)).toEqual(observed);
  });

  // eni-1 only; eni-0 is untouched and must follow the observation in every row.
  it.each([
    {
      name: "an address just assigned, not in IMDS yet, is kept",
      mine: ["10.0.1.20"],
      observed: [],
      recent: ["10.0.1.20"],
      want: ["10.0.1.20"],
    },
    {
      name: "an address just released, still in IMDS, is not re-added",
      mine: ["10.0.1.20"],
      observed: ["10.0.1.20", "10.0.1.30"],
      recent: ["10.0.1.30"],
      want: ["10.0.1.20"],
    },
    {
      name: "an address ipamd never touched is adopted on a busy ENI (an assign that landed after a crash)",
      mine: ["10.0.1.20"],
      observed: ["10.0.1.20", "10.0.1.21", "10.0.1.22"],
      recent: ["10.0.1.20"],
      want: ["10.0.1.20", "10.0.1.21", "10.0.1.22"],
    },
    {
      name: "an address taken away through EC2 is dropped on a busy ENI",
      mine: ["10.0.1.20", "10.0.1.21"],
      observed: ["10.0.1.21"],
      recent: ["10.0.1.21"],
      want: ["10.0.1.21"],
    },
    {
      name: "a change as old as the window no longer counts",
      mine: ["10.0.1.20"],
      observed: [],
      recent: [],
      old: ["10.0.1.20"],
      want: [],
    },
  ])("$name", ({ mine, observed, recent, old = [], want }) => {
    const obs = [eni("eni-0", 0, ["10.0.1.5", "10.0.1.6"]), eni("eni-1", 1, observed)];
    const cur = [eni("eni-0", 0, ["10.0.1.5"]), eni("eni-1", 1, mine)];
    const at =
      (t: number) =>
      (a: string): [string, number] => [a, t];
    const ch = changes([], [...recent.map(at(now - 1000)), ...old.map(at(now - window))]);
    const out = trustObservation(obs, cur, ch, now, window);
    expect(ipsOf(out, "eni-1")).toEqual(want);
    expect(ipsOf(out, "eni-0")).toEqual(["10.0.1.5", "10.0.1.6"]);
  });

  it("keeps a just-created ENI IMDS does not list yet, but drops an old one that vanished", () => {
    const observed = [eni("eni-0", 0, ["10.0.1.5", "10.0.1.6"])];
    const ids = (enis: [string, number][]) =>
      trustObservation(observed, current, changes(enis, []), now, window).map((e) => e.id);
    expect(ids([["eni-1", now - 5]])).toEqual(["eni-0", "eni-1"]);
    expect(ids([["eni-1", now - window]])).toEqual(["eni-0"]);
  });

  it("drops an ENI that vanished even while its addresses keep changing", () => {
    const observed = [eni("eni-0", 0, ["10.0.1.5", "10.0.1.6"])];
    const out = trustObservation(observed, current, changes([], [["10.0.1.20", now - 5]]), now, window);
    expect(out.map((e) => e.id)).toEqual(["eni-0"]);
  });

  it("does not re-adopt an ENI it just deleted from a lagging view", () => {
    const observed = [eni("eni-0", 0, ["10.0.1.5"]), eni("eni-2", 2, ["10.0.1.40"])];
    const ids = (t: number) =>
      trustObservation(observed, [current[0]!], changes([["eni-2", t]], []), now, window).map((e) => e.id);
    expect(ids(now - 5)).toEqual(["eni-0"]);
    expect(ids(now - window)).toEqual(["eni-0", "eni-2"]);
  });
});

describe("max pod addresses and the metrics snapshot", () => {
  it.each([
    [{ ...settings }, true, 27],
    [{ ...settings }, false, 18],
    [{ ...settings, maxEni: 2 }, true, 18],
    [{ ...settings, prefixDelegation: true }, true, 27 * 16],
  ])("%o podsOnPrimary=%s -> %d", (s, onPrimary, expected) => {
    expect(maxPodAddresses({ settings: s, limits, podsOnPrimaryEni: onPrimary })).toBe(expected);
  });

  it("ENIs ipamd does not manage are not counted (AWS: maxENI - unmanaged)", () => {
    const s = { settings, limits, podsOnPrimaryEni: true, reservedDeviceIndexes: [1] };
    expect(maxPodAddresses(s)).toBe(18);
    const c = { total: 9, assigned: 4, available: 3, cooldown: 2, enis: 1, prefixes: 0, freePrefixes: 0 };
    expect(poolSnapshot(c, s, undefined)).toMatchObject({ maxEnis: 2, maxAddresses: 18 });
  });

  it("snapshot carries counts, the capped ENI max and the last deficit", () => {
    const c = { total: 9, assigned: 4, available: 3, cooldown: 2, enis: 1, prefixes: 0, freePrefixes: 0 };
    const snap = poolSnapshot(
      c,
      { settings: { ...settings, maxEni: 2 }, limits, podsOnPrimaryEni: true },
      {
        actions: [],
        deficit: 7,
      },
    );
    expect(snap).toEqual({
      total: 9,
      assigned: 4,
      available: 3,
      cooldown: 2,
      enis: 1,
      maxEnis: 2,
      prefixes: 0,
      deficit: 7,
      maxAddresses: 18,
    });
  });

  it("counts the addresses a growth action brings", () => {
    expect(addressesOf({ kind: "assign-ips", eniId: "e", count: 3 })).toBe(3);
    expect(addressesOf({ kind: "assign-prefixes", eniId: "e", count: 2 })).toBe(32);
    expect(
      addressesOf({
        kind: "create-eni",
        subnetId: "s",
        securityGroupIds: [],
        deviceIndex: 1,
        ipCount: 9,
        prefixCount: 0,
      }),
    ).toBe(9);
    expect(addressesOf({ kind: "delete-eni", eniId: "e" })).toBe(0);
  });
});

describe("stillWaiting: pods waiting for an address (the planner's pendingDemand)", () => {
  const t = 1_000_000;
  it.each([
    { name: "none refused", refused: [], assigned: [], want: [] },
    { name: "refused, not addressed yet: waiting", refused: [["a", t - 10]], assigned: [], want: ["a"] },
    { name: "got an address since: not waiting", refused: [["a", t - 10]], assigned: ["a"], want: [] },
    {
      name: "not retried for the TTL (pod gone): dropped",
      refused: [["a", t - WAITING_POD_TTL_MS]],
      assigned: [],
      want: [],
    },
    {
      name: "a burst: each pod once, whatever its retries; addressed ones leave",
      refused: [
        ["a", t - 5],
        ["b", t - 4],
        ["c", t - 3],
      ],
      assigned: ["b"],
      want: ["a", "c"],
    },
  ] as { name: string; refused: [string, number][]; assigned: string[]; want: string[] }[])(
    "$name",
    ({ refused, assigned, want }) => {
      expect(stillWaiting(new Map(refused), (k) => assigned.includes(k), t)).toEqual(want);
    },
  );
});
