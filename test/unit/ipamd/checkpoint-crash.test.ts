// Crash at every write point of a checkpoint save and show that load() then
// yields the old or the new state, never a mix, never a throw.
//
// CrashFs models what survives: file contents are durable after sync(),
// directory entries (a created slot's rename) after the directory's fsync. A "crash" throws from
// the chosen operation; a torn write leaves half the new bytes over the old
// ones (either half). The disk afterwards is viewed three ways: process crash
// only (everything the kernel had), power loss (only what was synced), and
// power loss where directory changes happened to reach the disk anyway.

import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  Checkpoint,
  type CheckpointFs,
  decodeCheckpoint,
  encodeCheckpoint,
  type SlotHandle,
} from "../../../ipamd/datastore/checkpoint.ts";
import type { DatastoreState } from "../../../ipamd/datastore/types.ts";

interface Inode {
  data: Uint8Array;
  synced: Uint8Array;
}

class Crash extends Error {}

type Torn = "none" | "first-half" | "second-half";

class CrashFs implements CheckpointFs {
  dir = new Map<string, Inode>();
  durableDir = new Map<string, Inode>();
  ops = 0;
  /** Throw at the op with this number (0-based). */
  crashAt = -1;
  /** At a crashing write, which half of the new bytes reached the file. */
  torn: Torn = "none";

  #step(): void {
    if (this.ops++ === this.crashAt) throw new Crash(`crash at op ${this.crashAt}`);
  }

  async readFile(file: string) {
    return this.dir.get(file)?.data.slice();
  }
  /** Temp file written, synced, renamed over `file`, directory synced: four steps, each may crash. */
  async createSlot(file: string, data: Uint8Array) {
    const tmp = `${file}.tmp`;
    this.#step();
    const ino: Inode = { data: new Uint8Array(), synced: new Uint8Array() };
    this.dir.set(tmp, ino);
    if (this.ops === this.crashAt && this.torn !== "none") ino.data = data.slice(0, data.length >> 1);
    this.#step();
    ino.data = data.slice();
    this.#step();
    ino.synced = ino.data.slice();
    this.dir.set(file, ino);
    this.dir.delete(tmp);
    this.#step();
    this.durableDir = new Map(this.dir);
  }
  async openSlot(file: string): Promise<SlotHandle> {
    this.#step();
    const node = this.dir.get(file);
    if (!node) throw new Error(`ENOENT: ${file}`);
    return {
      write: async (d) => {
        if (this.ops === this.crashAt && this.torn !== "none") {
          const half = d.length >> 1;
          node.data =
            this.torn === "first-half"
              ? overlay(node.data, d.slice(0, half), 0)
              : overlay(node.data, d.slice(half), half);
        }
        this.#step();
        node.data = overlay(node.data, d, 0);
      },
      sync: async () => {
        this.#step();
        node.synced = node.data.slice();
      },
      close: () => undefined,
    };
  }
  /** The disk after the crash, seen one of three ways. */
  after(view: "process" | "power" | "power-dirs-persisted"): CrashFs {
    const out = new CrashFs();
    const src = view === "power" ? this.durableDir : this.dir;
    for (const [name, ino] of src) {
      const data = view === "process" ? ino.data : ino.synced;
      out.dir.set(name, { data: data.slice(), synced: data.slice() });
    }
    out.durableDir = new Map(out.dir);
    return out;
  }
}

/** `d` written over `base` at offset `at` (pwrite): the file grows if needed, bytes beyond stay. */
function overlay(base: Uint8Array, d: Uint8Array, at: number): Uint8Array {
  const o = new Uint8Array(Math.max(base.length, at + d.length));
  o.set(base);
  o.set(d, at);
  return o;
}

const FILE = "/state/ipam-checkpoint.json";

function state(n: number): DatastoreState {
  return {
    assignments: Array.from({ length: n }, (_, i) => ({
      key: { network: "aws-cni", containerId: `c${i}`, ifName: "eth0" },
      ip: `10.0.0.${10 + i}`,
      eniId: "eni-0",
      pod: { namespace: "default", name: `p${i}` },
      netns: `/var/run/netns/${i}`,
      hostVeth: `eni${i}`,
      assignedAtMs: 1000 + i,
    })),
    cooldowns: [{ ip: "10.0.0.99", untilMs: 5000 + n }],
  };
}

const EMPTY: DatastoreState = { assignments: [], cooldowns: [] };

describe("checkpoint: crash at every write point", () => {
  // Saves done (and acknowledged) before the one that crashes: none, one (slot 0
  // exists), two (both slots exist; the crashing save overwrites slot 0 in place,
  // shrinking, so it is padded). The crashing save writes NEW.
  const before: [string, DatastoreState[]][] = [
    ["no slot yet", []],
    ["one slot", [state(3)]],
    ["both slots", [state(6), state(3)]],
  ];
  const NEW = state(4);
  // createSlot: create temp, write, sync, rename+fsyncDir; openSlot: open, write, sync
  const OPS = 4;

  for (const [name, earlier] of before) {
    for (let at = 0; at < OPS; at++) {
      for (const torn of at === 1 ? (["none", "first-half", "second-half"] as const) : (["none"] as const)) {
        it(`${name}, crash at op ${at}${torn === "none" ? "" : ` (${torn} written)`}`, async () => {
          const disk = new CrashFs();
          for (const st of earlier) expect(await new Checkpoint(FILE, disk).save(st)).toEqual({ ok: true });
          disk.ops = 0;
          disk.crashAt = at;
          disk.torn = torn;
          const r = await new Checkpoint(FILE, disk).save(NEW);
          // A save that reaches no crash point (no fsyncDir needed) succeeded: then NEW is expected.
          const crashed = disk.ops > at;
          expect(r.ok).toBe(!crashed); // a failed save must not be answered: the caller rolls back
          const last = earlier.at(-1) ?? EMPTY;
          for (const view of ["process", "power", "power-dirs-persisted"] as const) {
            const loaded = await new Checkpoint(FILE, disk.after(view)).load();
            expect(loaded.ok, `${view}: ${loaded.ok ? "" : loaded.error.message}`).toBe(true);
            if (!loaded.ok) continue;
            if (crashed) expect([last, NEW]).toContainEqual(loaded.state);
            else if (view !== "power") expect(loaded.state).toEqual(NEW);
          }
          // Acknowledged saves are never lost, even to a power loss.
          if (!crashed)
            expect(await new Checkpoint(FILE, disk.after("power")).load()).toMatchObject({
              ok: true,
              state: NEW,
            });
        });
      }
    }
  }

  it("after a torn write, load takes the other slot; the next save overwrites the torn one and wins", async () => {
    const disk = new CrashFs();
    await new Checkpoint(FILE, disk).save(state(1));
    await new Checkpoint(FILE, disk).save(state(2));
    disk.ops = 0;
    disk.crashAt = 1; // the write of the third save, over slot 0
    disk.torn = "first-half";
    expect((await new Checkpoint(FILE, disk).save(state(3))).ok).toBe(false);
    const rebooted = disk.after("process"); // the torn bytes are in the file
    const cp = new Checkpoint(FILE, rebooted);
    const loaded = await cp.load();
    expect(loaded).toMatchObject({ ok: true, state: state(2) });
    expect(loaded.ok && loaded.olderSlot).toContain("using the other slot");
    expect(await cp.save(state(4))).toEqual({ ok: true });
    expect(await new Checkpoint(FILE, rebooted.after("power")).load()).toEqual({ ok: true, state: state(4) });
  });

  it("saves alternate between the two slots with rising sequence numbers", async () => {
    const disk = new CrashFs();
    const cp = new Checkpoint(FILE, disk);
    for (let i = 1; i <= 4; i++) expect(await cp.save(state(i))).toEqual({ ok: true });
    const seqOf = (f: string) => JSON.parse(new TextDecoder().decode(disk.dir.get(f)!.data)).seq as number;
    expect([seqOf(FILE), seqOf(`${FILE}.b`)]).toEqual([3, 4]);
    expect(await new Checkpoint(FILE, disk).load()).toEqual({ ok: true, state: state(4) });
  });

  it("a version 1 file (one file, no sequence number) loads, and the next save goes to the other slot", async () => {
    const disk = new CrashFs();
    const body = JSON.stringify(state(2));
    const sha256 = createHash("sha256").update(body).digest("hex");
    const v1 = `{"version":1,"sha256":"${sha256}","state":${body}}\n`; // what the rename scheme wrote
    disk.dir.set(FILE, { data: new TextEncoder().encode(v1), synced: new Uint8Array() });
    const cp = new Checkpoint(FILE, disk);
    expect(await cp.load()).toEqual({ ok: true, state: state(2) });
    expect(await cp.save(state(3))).toEqual({ ok: true });
    expect(new TextDecoder().decode(disk.dir.get(FILE)!.data)).toBe(v1);
    expect(await new Checkpoint(FILE, disk).load()).toEqual({ ok: true, state: state(3) });
  });
});

describe("checkpoint: what a save writes", () => {
  it("exactly encodeCheckpoint's bytes, padded with spaces to the slot's size; non-ASCII text intact", async () => {
    const disk = new CrashFs();
    const cp = new Checkpoint(FILE, disk);
    const odd = (n: number): DatastoreState => {
      const s = state(n);
      for (const a of s.assignments) a.pod.name = `p\u00f6d-\u{1F600}-${a.pod.name}`;
      return s;
    };
    const saves = [state(5), odd(6), state(1), odd(2), state(0), odd(40), state(3)];
    const sizes = [0, 0];
    for (const [i, st] of saves.entries()) {
      expect(await cp.save(st)).toEqual({ ok: true });
      const slot = i % 2 === 0 ? FILE : `${FILE}.b`;
      const want = encodeCheckpoint(st, i + 1);
      const wantBytes = new TextEncoder().encode(want).length;
      const got = disk.dir.get(slot)!.data;
      sizes[i % 2] = Math.max(sizes[i % 2]!, wantBytes);
      expect(got.length).toBe(sizes[i % 2]);
      expect(new TextDecoder().decode(got)).toBe(want + " ".repeat(got.length - wantBytes));
      expect(await new Checkpoint(FILE, disk).load()).toEqual({ ok: true, state: st });
    }
  });
});

describe("checkpoint: decoding", () => {
  const text = encodeCheckpoint(state(2));

  it("every truncation is an error value or the complete state, never a throw", () => {
    for (let n = 0; n < text.length; n++) {
      const r = decodeCheckpoint(FILE, text.slice(0, n));
      if (r.ok) expect(r.state).toEqual(state(2));
      else expect(r.error.kind).toBe("corrupt");
    }
  });

  it("wrong version is a typed error", () => {
    const r = decodeCheckpoint(FILE, text.replace('"version":2', '"version":3'));
    expect(r).toMatchObject({ ok: false, error: { kind: "version", file: FILE } });
  });

  it("a changed byte fails the checksum", () => {
    const r = decodeCheckpoint(FILE, text.replace("10.0.0.10", "10.0.0.11"));
    expect(r).toMatchObject({ ok: false, error: { kind: "corrupt" } });
    if (!r.ok) expect(r.error.message).toContain("checksum");
  });

  it("a well-formed file with a malformed record is corrupt", () => {
    const bad = encodeCheckpoint({ assignments: [{ ip: 5 } as never], cooldowns: [] });
    expect(decodeCheckpoint(FILE, bad)).toMatchObject({ ok: false, error: { kind: "corrupt" } });
    expect(decodeCheckpoint(FILE, "[]")).toMatchObject({ ok: false });
    expect(decodeCheckpoint(FILE, "null")).toMatchObject({ ok: false });
  });
});

describe("checkpoint: the real file system", () => {
  it("missing: empty state with a warning; save + load round-trip; owner-only; shorter saves padded", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ckpt-"));
    try {
      const file = path.join(dir, "ipam-checkpoint.json");
      const cp = new Checkpoint(file);
      const first = await cp.load();
      expect(first).toMatchObject({ ok: true, state: { assignments: [], cooldowns: [] } });
      expect(first.ok && first.warning).toContain("missing");
      expect(await cp.save(state(5))).toEqual({ ok: true });
      expect(await cp.save(state(6))).toEqual({ ok: true });
      expect(await cp.save(state(1))).toEqual({ ok: true }); // over slot 0, which held 5
      cp.close();
      expect(await new Checkpoint(file).load()).toEqual({ ok: true, state: state(1) });
      // In place: slot 0 kept its size (padded with spaces), so its metadata did not change.
      expect((await fs.stat(file)).size).toBe(encodeCheckpoint(state(5), 1).length);
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(`${file}.b`)).mode & 0o777).toBe(0o600);
      await fs.writeFile(file, "{trunc");
      await fs.writeFile(`${file}.b`, "{trunc");
      expect(await new Checkpoint(file).load()).toMatchObject({ ok: false, error: { kind: "corrupt" } });
      const noDir = new Checkpoint(path.join(dir, "nope", "x.json"));
      expect(await noDir.save(state(1))).toMatchObject({ ok: false, error: { kind: "io" } });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
