// Random operations with a fixed seed; after every step the invariants that
// keep pods from sharing an address are checked against an independent model.

import { describe, expect, it } from "vitest";
import type { AttachmentKey } from "../../../ipamd/api/protocol.ts";
import { prefixAddresses } from "../../../ipamd/datastore/addr.ts";
import {
  Checkpoint,
  type CheckpointFs,
  decodeCheckpoint,
  type SlotHandle,
} from "../../../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { reconcile } from "../../../ipamd/datastore/reconcile.ts";
import { rng } from "../../support/rng.ts";

const COOLDOWN = 50;

/** Checkpoint slots in memory; a slot's text, as written. */
class MemorySlots implements CheckpointFs {
  files = new Map<string, string>();
  async readFile(file: string) {
    const t = this.files.get(file);
    return t === undefined ? undefined : new TextEncoder().encode(t);
  }
  async createSlot(file: string, data: Uint8Array) {
    this.files.set(file, new TextDecoder().decode(data));
  }
  async openSlot(file: string): Promise<SlotHandle> {
    return {
      write: async (d) => void this.files.set(file, new TextDecoder().decode(d)),
      sync: async () => undefined,
      close: () => undefined,
    };
  }
}
const seqOf = (text: string) => Number(/"seq":(\d+)/.exec(text)?.[1] ?? -1);

/** 0..n-1 from the seeded PRNG. (An LCG's `s % n` was used before: its low bits alternate.) */
function ints(seed: number) {
  const r = rng(seed);
  return (n: number) => Math.floor(r() * n);
}

async function run(seed: number, steps: number) {
  const rnd = ints(seed);
  const ds = new Datastore({ cooldownMs: COOLDOWN });
  // The checkpoint caches each record's encoding by identity: what it writes must stay the snapshot.
  const disk = new MemorySlots();
  const cp = new Checkpoint("/ckpt", disk);
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
      // An address that had vanished comes back on some ENI (moved in EC2): its pod's record follows it.
      for (const a of ds.assignments()) {
        if (observed.length > 0 && a.ip.startsWith("10.1.") && ds.ownerOf(a.ip) === undefined && rnd(2))
          observed[rnd(observed.length)]!.ips.push(a.ip);
      }
      reconcile(ds, observed);
    }
    checkInvariants(ds, holder, now);
    expect(await cp.save(ds.liveState(now))).toEqual({ ok: true });
    const written = [...disk.files.values()].sort((a, b) => seqOf(b) - seqOf(a))[0]!;
    expect(decodeCheckpoint("/ckpt", written)).toEqual({ ok: true, state: ds.snapshot(now) });
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
  // What the checkpoint is given is the snapshot (without the copies).
  expect(JSON.stringify(ds.liveState(now))).toBe(JSON.stringify(ds.snapshot(now)));
}

describe("Datastore under random operations", () => {
  it.each([1, 2, 3, 42, 1234])(
    "seed %i: no double assignment, cooldown honoured, model agrees",
    async (seed) => {
      const ds = await run(seed, 800);
      expect(ds.enis().length).toBeGreaterThan(0);
    },
  );
});
