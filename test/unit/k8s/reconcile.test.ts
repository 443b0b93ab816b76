import { describe, expect, it } from "vitest";
import { type HeldAssignment, reconcile } from "../../../ipamd/k8s/reconcile.ts";

const a = (name: string, assignedAtMs = 0): HeldAssignment => ({
  namespace: "ns",
  name,
  containerId: `c-${name}`,
  assignedAtMs,
});
const base = { graceMs: 60_000, missingSince: new Map<string, number>() };

describe("reconcile", () => {
  it("releases nothing before the informer has synced, and starts no clocks", () => {
    const r = reconcile({ ...base, nowMs: 1e9, synced: false, held: [a("gone")], live: new Set() });
    expect(r.release).toEqual([]);
    expect(r.missingSince.size).toBe(0);
  });

  it("never releases an address whose pod exists, however old", () => {
    const r = reconcile({
      ...base,
      nowMs: 1e12,
      synced: true,
      held: [a("live")],
      live: new Set(["ns/live"]),
      missingSince: new Map([["c-live", 0]]),
    });
    expect(r.release).toEqual([]);
    expect(r.missingSince.size).toBe(0);
  });

  it("releases a missing pod's address only once it has been missing for the grace period", () => {
    const held = [a("gone")];
    const r1 = reconcile({ ...base, nowMs: 100_000, synced: true, held, live: new Set() });
    expect(r1.release).toEqual([]);
    expect(r1.missingSince.get("c-gone")).toBe(100_000);
    const r2 = reconcile({
      ...base,
      nowMs: 159_999,
      synced: true,
      held,
      live: new Set(),
      missingSince: r1.missingSince,
    });
    expect(r2.release).toEqual([]);
    const r3 = reconcile({
      ...base,
      nowMs: 160_000,
      synced: true,
      held,
      live: new Set(),
      missingSince: r2.missingSince,
    });
    expect(r3.release).toEqual(held);
  });

  it("waits for the grace period after assignment too (ADD before the watch event)", () => {
    const held = [a("new", 100_000)];
    const r = reconcile({
      ...base,
      nowMs: 150_000,
      synced: true,
      held,
      live: new Set(),
      missingSince: new Map([["c-new", 0]]),
    });
    expect(r.release).toEqual([]);
  });

  it("a pod that reappears resets its clock; forgotten assignments drop out", () => {
    const held = [a("flap")];
    const r1 = reconcile({
      ...base,
      nowMs: 0,
      synced: true,
      held,
      live: new Set(),
      missingSince: new Map([["c-old", 5]]),
    });
    expect([...r1.missingSince.keys()]).toEqual(["c-flap"]);
    const r2 = reconcile({
      ...base,
      nowMs: 30_000,
      synced: true,
      held,
      live: new Set(["ns/flap"]),
      missingSince: r1.missingSince,
    });
    const r3 = reconcile({
      ...base,
      nowMs: 70_000,
      synced: true,
      held,
      live: new Set(),
      missingSince: r2.missingSince,
    });
    expect(r3.release).toEqual([]);
    expect(r3.missingSince.get("c-flap")).toBe(70_000);
  });
});
