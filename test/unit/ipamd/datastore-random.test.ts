// Random operations with a fixed seed; after every step the invariants that
// keep pods from sharing an address are checked against an independent model.

import { describe, expect, it } from "vitest";
import type { AttachmentKey } from "../../../ipamd/api/protocol.ts";
import { prefixAddresses } from "../../../ipamd/datastore/addr.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { reconcile } from "../../../ipamd/datastore/reconcile.ts";

const COOLDOWN = 50;

function rng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

function run(seed: number, steps: number) {
  const rnd = rng(seed);
  const ds = new Datastore({ cooldownMs: COOLDOWN });
  let now = 1_000_000;
  // Model: last release time per ip, live holder per key.
  const releasedAt = new Map<string, number>();
  const holder = new Map<string, string>(); // key json -> ip
  const keyOf = (i: number): AttachmentKey => ({
    network: i % 3 ? "aws-cni" : "n2",
    containerId: `c${i}`,
    ifName: "eth0",
  });
  let nextIp = 0;

  const addEni = () => {
    const dev = ds.enis().length;
    if (dev > 4) return;
    ds.upsertEni({
      id: `eni-${dev}`,
      mac: `m${dev}`,
      deviceIndex: dev,
      primary: dev === 0,
      subnetId: "s",
      subnetCidr: "10.0.0.0/8",
      primaryIp: `10.200.0.${dev}`,
      attachedAtMs: now,
    });
  };
  addEni();

  for (let step = 0; step < steps; step++) {
    const enis = ds.enis();
    const e = enis[rnd(enis.length)]!;
    const op = rnd(100);
    now += rnd(20);
    if (op < 5) addEni();
    else if (op < 15) {
      const n = 1 + rnd(3);
      ds.addIps(
        e.id,
        Array.from({ length: n }, () => `10.1.${(nextIp >> 8) & 255}.${nextIp++ & 255}`),
      );
    } else if (op < 18) {
      ds.addPrefixes(e.id, [`10.50.${(nextIp >> 4) & 255}.${(nextIp++ & 15) * 16}/28`]);
    } else if (op < 55) {
      const k = keyOf(rnd(60));
      const kj = JSON.stringify(k);
      const r = ds.assign({ key: k, pod: { namespace: "d", name: kj }, netns: "/n", hostVeth: "v" }, now);
      if (r.ok) {
        if (holder.has(kj)) expect(r.assignment.ip).toBe(holder.get(kj));
        else {
          expect(r.created).toBe(true);
          expect([...holder.values()]).not.toContain(r.assignment.ip);
          const rel = releasedAt.get(r.assignment.ip);
          if (rel !== undefined) expect(now - rel).toBeGreaterThan(COOLDOWN - 1);
          holder.set(kj, r.assignment.ip);
        }
      } else expect(holder.has(kj)).toBe(false);
    } else if (op < 80) {
      const k = keyOf(rnd(60));
      const kj = JSON.stringify(k);
      const r = ds.release(k, now);
      expect(r.ok).toBe(holder.has(kj));
      if (r.ok) {
        releasedAt.set(r.assignment.ip, now);
        holder.delete(kj);
      }
    } else if (op < 83) {
      const valid = [...holder.keys()]
        .map((j) => JSON.parse(j) as AttachmentKey)
        .filter((k) => k.network === "aws-cni" && rnd(2));
      for (const a of ds.gc("aws-cni", valid, now)) {
        releasedAt.set(a.ip, now);
        holder.delete(JSON.stringify(a.key));
      }
    } else if (op < 90) {
      const { ips, prefixes } = ds.ipsOf(e.id);
      const taken = ds.withdrawIps(
        e.id,
        ips.filter(() => rnd(2)),
        now,
      );
      for (const ip of taken) expect([...holder.values()]).not.toContain(ip);
      const takenP = ds.withdrawPrefixes(
        e.id,
        prefixes.filter(() => rnd(2)),
        now,
      );
      for (const p of takenP)
        for (const a of prefixAddresses(p)) expect([...holder.values()]).not.toContain(a);
    } else if (op < 93) {
      if (ds.withdrawEni(e.id, now)) expect(e.primary).toBe(false);
    } else {
      // An observed view that lost some addresses (and maybe an ENI).
      const observed = ds
        .enis()
        .filter((x) => x.primary || rnd(5))
        .map((x) => {
          const { ips, prefixes } = ds.ipsOf(x.id);
          return { ...x, ips: ips.filter(() => rnd(4)), prefixes: prefixes.filter(() => rnd(4)) };
        });
      reconcile(ds, observed);
    }
    checkInvariants(ds, holder, now);
  }
  return ds;
}

function checkInvariants(ds: Datastore, holder: Map<string, string>, now: number) {
  const assignments = ds.assignments();
  // Same assignments as the model, one address each, no address twice.
  expect(new Map(assignments.map((a) => [JSON.stringify(a.key), a.ip]))).toEqual(holder);
  expect(new Set(assignments.map((a) => a.ip)).size).toBe(assignments.length);
  // Every address on exactly one ENI.
  const seen = new Set<string>();
  for (const e of ds.enis()) {
    const { ips, prefixes } = ds.ipsOf(e.id);
    for (const a of [...ips, ...prefixes.flatMap(prefixAddresses)]) {
      expect(seen.has(a)).toBe(false);
      seen.add(a);
      expect(ds.ownerOf(a)).toBe(e.id);
    }
  }
  for (const a of assignments) {
    const owner = ds.ownerOf(a.ip);
    if (owner !== undefined) expect(a.eniId).toBe(owner);
  }
  const c = ds.counts(now);
  expect(c.assigned + c.available + c.cooldown).toBe(c.total);
}

describe("Datastore under random operations", () => {
  it.each([1, 2, 3, 42, 1234])("seed %i: no double assignment, cooldown honoured, model agrees", (seed) => {
    const ds = run(seed, 800);
    expect(ds.enis().length).toBeGreaterThan(0);
  });
});
