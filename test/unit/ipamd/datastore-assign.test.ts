import { describe, expect, it } from "vitest";
import { Datastore, DatastoreError } from "../../../ipamd/datastore/datastore.ts";
import { reconcile } from "../../../ipamd/datastore/reconcile.ts";
import type { AssignRequest, EniInfo, ObservedEni } from "../../../ipamd/datastore/types.ts";

const T0 = 1_700_000_000_000;

function eniInfo(dev: number, over: Partial<EniInfo> = {}): EniInfo {
  return {
    id: `eni-${dev}`,
    mac: `02:00:00:00:00:0${dev}`,
    deviceIndex: dev,
    primary: dev === 0,
    subnetId: "subnet-a",
    subnetCidr: "10.0.0.0/16",
    primaryIp: `10.0.${dev}.1`,
    attachedAtMs: T0,
    ...over,
  };
}

function req(id: string, network = "aws-cni"): AssignRequest {
  return {
    key: { network, containerId: id, ifName: "eth0" },
    pod: { namespace: "default", name: `pod-${id}` },
    netns: `/var/run/netns/${id}`,
    hostVeth: `eni${id}`,
  };
}

function store(cooldownMs = 30_000): Datastore {
  const ds = new Datastore({ cooldownMs });
  ds.upsertEni(eniInfo(0));
  ds.addIps("eni-0", ["10.0.0.12", "10.0.0.10", "10.0.0.11"]);
  return ds;
}

describe("Datastore.assign", () => {
  it("a repeated ADD for the same key returns the same address", () => {
    const ds = store();
    const a = ds.assign(req("c1"), T0);
    const b = ds.assign(req("c1"), T0 + 5);
    expect(a).toMatchObject({ ok: true, created: true, assignment: { ip: "10.0.0.10", eniId: "eni-0" } });
    expect(b).toMatchObject({ ok: true, created: false, assignment: { ip: "10.0.0.10", assignedAtMs: T0 } });
    expect(ds.counts(T0)).toMatchObject({ total: 3, assigned: 1, available: 2 });
  });

  it("ifName and network are part of the key", () => {
    const ds = store();
    const a = ds.assign(req("c1"), T0);
    const b = ds.assign({ ...req("c1"), key: { network: "aws-cni", containerId: "c1", ifName: "eth1" } }, T0);
    const c = ds.assign(req("c1", "other-net"), T0);
    const ips = [a, b, c].map((r) => (r.ok ? r.assignment.ip : "none"));
    expect(new Set(ips).size).toBe(3);
  });

  it("refuses with counts when nothing is free; never the ENI's primary address", () => {
    const ds = store();
    for (const id of ["a", "b", "c"]) expect(ds.assign(req(id), T0).ok).toBe(true);
    const r = ds.assign(req("d"), T0);
    expect(r).toEqual({
      ok: false,
      reason: "no-free-address",
      counts: expect.objectContaining({ total: 3, assigned: 3, available: 0 }),
    });
    expect(() => ds.addIps("eni-0", ["10.0.0.1"])).toThrow(DatastoreError);
  });

  it("a released address cools down before reuse, and counts as cooldown", () => {
    const ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni(eniInfo(0));
    ds.addIps("eni-0", ["10.0.0.10"]);
    expect(ds.assign(req("a"), T0).ok).toBe(true);
    expect(ds.release(req("a").key, T0 + 1)).toMatchObject({ ok: true, assignment: { ip: "10.0.0.10" } });
    expect(ds.counts(T0 + 2)).toMatchObject({ assigned: 0, cooldown: 1, available: 0 });
    expect(ds.assign(req("b"), T0 + 30_000)).toMatchObject({ ok: false });
    expect(ds.assign(req("b"), T0 + 30_001)).toMatchObject({ ok: true, assignment: { ip: "10.0.0.10" } });
    expect(ds.release(req("zzz").key, T0)).toEqual({ ok: false, reason: "not-found" });
  });

  it("fills the busiest ENI first, then the busiest prefix", () => {
    const ds = new Datastore({ cooldownMs: 0 });
    ds.upsertEni(eniInfo(0));
    ds.upsertEni(eniInfo(1));
    ds.addIps("eni-0", ["10.0.0.10", "10.0.0.11"]);
    ds.addPrefixes("eni-1", ["10.1.0.0/28", "10.1.0.16/28"]);
    // eni-0 first (lower device index on a tie), then it is the busiest.
    expect(ds.assign(req("a"), T0)).toMatchObject({ assignment: { ip: "10.0.0.10" } });
    expect(ds.assign(req("b"), T0)).toMatchObject({ assignment: { ip: "10.0.0.11" } });
    expect(ds.assign(req("c"), T0)).toMatchObject({ assignment: { ip: "10.1.0.0", eniId: "eni-1" } });
    expect(ds.assign(req("d"), T0)).toMatchObject({ assignment: { ip: "10.1.0.1" } });
    expect(ds.counts(T0)).toMatchObject({ total: 34, prefixes: 2, freePrefixes: 1 });
  });

  it("custom networking: never hands out the primary ENI's addresses", () => {
    const ds = new Datastore({ cooldownMs: 0, podsOnPrimaryEni: false });
    ds.upsertEni(eniInfo(0));
    ds.addIps("eni-0", ["10.0.0.10"]);
    expect(ds.assign(req("a"), T0).ok).toBe(false);
    ds.upsertEni(eniInfo(1, { subnetId: "subnet-pods" }));
    ds.addIps("eni-1", ["10.0.1.10"]);
    expect(ds.assign(req("a"), T0)).toMatchObject({ assignment: { eniId: "eni-1" } });
  });
});

describe("Datastore.gc and withdraw", () => {
  it("GC releases every attachment of the network not in the valid list", () => {
    const ds = store();
    ds.assign(req("keep"), T0);
    ds.assign(req("gone"), T0);
    ds.assign(req("other", "net-2"), T0);
    const released = ds.gc("aws-cni", [{ containerId: "keep", ifName: "eth0" }], T0);
    expect(released.map((a) => a.key.containerId)).toEqual(["gone"]);
    expect(
      ds
        .assignments()
        .map((a) => a.key.containerId)
        .sort(),
    ).toEqual(["keep", "other"]);
  });

  it("withdraw takes only free addresses, prefixes and idle non-primary ENIs", () => {
    const ds = store();
    ds.upsertEni(eniInfo(1));
    ds.addPrefixes("eni-1", ["10.1.0.0/28", "10.1.0.16/28"]);
    ds.assign(req("a"), T0); // 10.0.0.10
    ds.release(req("a").key, T0); // cooling
    ds.assign(req("b"), T0); // 10.0.0.11
    expect(ds.withdrawIps("eni-0", ["10.0.0.10", "10.0.0.11", "10.0.0.12"], T0)).toEqual(["10.0.0.12"]);
    expect(ds.withdrawEni("eni-0", T0)).toBe(false);
    ds.addIps("eni-1", ["10.1.1.1"]);
    ds.assign(req("c"), T0 + 40_000); // cooldown over: eni-0 busiest -> 10.0.0.10
    expect(ds.get(req("c").key)?.ip).toBe("10.0.0.10");
    ds.gc("aws-cni", [], T0 + 40_000);
    ds.assign(req("d"), T0 + 80_000);
    expect(ds.get(req("d").key)?.eniId).toBe("eni-0");
    expect(ds.withdrawPrefixes("eni-1", ["10.1.0.0/28"], T0 + 80_000)).toEqual(["10.1.0.0/28"]);
    expect(ds.withdrawEni("eni-1", T0 + 80_000)).toBe(true);
    expect(ds.ownerOf("10.1.0.17")).toBeUndefined();
  });
});

describe("reconcile and restore", () => {
  const observed = (ips: Record<string, string[]>, prefixes: Record<string, string[]> = {}): ObservedEni[] =>
    Object.keys({ ...ips, ...prefixes }).map((id) => ({
      ...eniInfo(Number(id.slice(4))),
      ips: ips[id] ?? [],
      prefixes: prefixes[id] ?? [],
    }));

  it("applies the observed set and keeps vanished assignments as orphans", () => {
    const ds = new Datastore({ cooldownMs: 0 });
    const r1 = reconcile(ds, observed({ "eni-0": ["10.0.0.10", "10.0.0.11"], "eni-1": ["10.0.1.10"] }));
    expect(r1.addedEnis).toEqual(["eni-0", "eni-1"]);
    ds.assign(req("a"), T0); // 10.0.0.10
    const r2 = reconcile(ds, observed({ "eni-0": ["10.0.0.11"] }));
    expect(r2.removedEnis).toEqual(["eni-1"]);
    expect(r2.removedIps.sort()).toEqual(["10.0.0.10", "10.0.1.10"]);
    expect(r2.orphaned.map((a) => a.ip)).toEqual(["10.0.0.10"]);
    // The orphan's address comes back (IMDS lag): it must not go to anyone else.
    reconcile(ds, observed({ "eni-0": ["10.0.0.10", "10.0.0.11"] }));
    expect(ds.assign(req("b"), T0)).toMatchObject({ assignment: { ip: "10.0.0.11" } });
    expect(ds.assign(req("c"), T0).ok).toBe(false);
  });

  it("follows an address that moved to another ENI", () => {
    const ds = new Datastore({ cooldownMs: 0 });
    reconcile(ds, observed({ "eni-0": ["10.0.0.10"], "eni-1": [] }));
    ds.assign(req("a"), T0);
    const r = reconcile(ds, observed({ "eni-0": [], "eni-1": ["10.0.0.10"] }));
    expect(r.moved).toEqual([{ key: req("a").key, ip: "10.0.0.10", from: "eni-0", to: "eni-1" }]);
    expect(ds.get(req("a").key)?.eniId).toBe("eni-1");
  });

  it("restore: conflicts keep the oldest, unknown addresses are orphans, cooldowns survive", () => {
    const ds = new Datastore({ cooldownMs: 30_000 });
    reconcile(ds, observed({ "eni-0": ["10.0.0.10", "10.0.0.11", "10.0.0.12"] }));
    const rec = (id: string, ip: string, at: number) => ({
      ...req(id),
      ip,
      eniId: "eni-x",
      assignedAtMs: at,
    });
    const rep = ds.restore(
      {
        assignments: [
          rec("new", "10.0.0.10", T0 + 5),
          rec("old", "10.0.0.10", T0),
          rec("lost", "10.9.9.9", T0),
        ],
        cooldowns: [{ ip: "10.0.0.11", untilMs: T0 + 10_000 }],
      },
      T0,
    );
    expect(rep.restored).toBe(2);
    expect(rep.conflicts.map((a) => a.key.containerId)).toEqual(["new"]);
    expect(rep.orphaned.map((a) => a.ip)).toEqual(["10.9.9.9"]);
    expect(ds.get(req("old").key)?.eniId).toBe("eni-0");
    expect(ds.assign(req("n"), T0)).toMatchObject({ assignment: { ip: "10.0.0.12" } });
    expect(ds.snapshot(T0).cooldowns).toEqual([{ ip: "10.0.0.11", untilMs: T0 + 10_000 }]);
  });

  it("toPlannerEnis reports per-address and per-prefix states", () => {
    const ds = new Datastore({ cooldownMs: 10 });
    reconcile(ds, observed({ "eni-0": ["10.0.0.11", "10.0.0.10"] }, { "eni-0": ["10.5.0.0/28"] }));
    ds.assign(req("a"), T0);
    ds.assign(req("b"), T0);
    ds.release(req("b").key, T0);
    const [e] = ds.toPlannerEnis(T0);
    expect(e?.ips).toEqual([
      { ip: "10.0.0.10", state: "assigned" },
      { ip: "10.0.0.11", state: "cooldown" },
    ]);
    expect(e?.prefixes).toEqual([{ prefix: "10.5.0.0/28", assigned: 0, cooldown: 0 }]);
    expect(ds.toPlannerEnis(T0 + 10)[0]?.ips[1]?.state).toBe("free");
  });
});
