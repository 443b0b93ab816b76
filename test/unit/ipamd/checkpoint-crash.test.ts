// Crash at every write point of a checkpoint save and show that load() then
// yields the old or the new state, never a mix, never a throw.
//
// CrashFs models what survives: file contents are durable after sync(),
// directory entries (create, rename) after fsyncDir(). A "crash" throws from
// the chosen operation; the disk afterwards is viewed three ways: process
// crash only (everything the kernel had), power loss (only what was synced),
// and power loss where directory changes happened to reach the disk anyway.

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  Checkpoint,
  type CheckpointFileHandle,
  type CheckpointFs,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../../../ipamd/datastore/checkpoint.ts";
import type { DatastoreState } from "../../../ipamd/datastore/types.ts";

interface Inode {
  data: Uint8Array;
  synced: Uint8Array;
}

class Crash extends Error {}

class CrashFs implements CheckpointFs {
  dir = new Map<string, Inode>();
  durableDir = new Map<string, Inode>();
  ops = 0;
  /** Throw at the op with this number (0-based); "partial" writes half the data first. */
  crashAt = -1;
  partial = false;

  #step(): void {
    if (this.ops++ === this.crashAt) throw new Crash(`crash at op ${this.crashAt}`);
  }

  async readFile(file: string) {
    return this.dir.get(file)?.data.slice();
  }
  async open(file: string): Promise<CheckpointFileHandle> {
    this.#step();
    let ino = this.dir.get(file);
    if (ino) ino.data = new Uint8Array();
    else {
      ino = { data: new Uint8Array(), synced: new Uint8Array() };
      this.dir.set(file, ino);
    }
    const node = ino;
    return {
      write: async (d) => {
        if (this.ops === this.crashAt && this.partial)
          node.data = concat(node.data, d.slice(0, d.length >> 1));
        this.#step();
        node.data = concat(node.data, d);
      },
      sync: async () => {
        this.#step();
        node.synced = node.data.slice();
      },
      close: async () => {
        this.#step();
      },
    };
  }
  async rename(from: string, to: string) {
    this.#step();
    const ino = this.dir.get(from);
    if (!ino) throw new Error("ENOENT");
    this.dir.set(to, ino);
    this.dir.delete(from);
  }
  async fsyncDir() {
    this.#step();
    this.durableDir = new Map(this.dir);
  }

  /** The disk after the crash, seen one of three ways. */
  after(view: "process" | "power" | "power-dirs-persisted"): CrashFs {
    const out = new CrashFs();
    const src = view === "process" ? this.dir : view === "power" ? this.durableDir : this.dir;
    for (const [name, ino] of src) {
      const data = view === "process" ? ino.data : ino.synced;
      out.dir.set(name, { data: data.slice(), synced: data.slice() });
    }
    out.durableDir = new Map(out.dir);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
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

describe("checkpoint: crash at every write point", () => {
  const OLD = state(3);
  const NEW = state(4);
  // open, write, sync, close, rename, fsyncDir
  const OPS = 6;

  for (const hadOld of [true, false]) {
    for (let at = 0; at < OPS; at++) {
      for (const partial of at === 1 ? [false, true] : [false]) {
        it(`${hadOld ? "old file" : "no file"}, crash at op ${at}${partial ? " mid-write" : ""}`, async () => {
          const disk = new CrashFs();
          if (hadOld) expect(await new Checkpoint(FILE, disk).save(OLD)).toEqual({ ok: true });
          disk.ops = 0;
          disk.crashAt = at;
          disk.partial = partial;
          const r = await new Checkpoint(FILE, disk).save(NEW);
          expect(r.ok).toBe(false); // the API must not answer: the caller rolls back
          for (const view of ["process", "power", "power-dirs-persisted"] as const) {
            const loaded = await new Checkpoint(FILE, disk.after(view)).load();
            expect(loaded.ok, `${view}: ${loaded.ok ? "" : loaded.error.message}`).toBe(true);
            if (!loaded.ok) continue;
            const expected = hadOld ? [OLD, NEW] : [{ assignments: [], cooldowns: [] }, NEW];
            expect(expected).toContainEqual(loaded.state);
          }
        });
      }
    }
  }

  it("after a crash, the next save wins and the leftover temp file is ignored", async () => {
    const disk = new CrashFs();
    await new Checkpoint(FILE, disk).save(OLD);
    disk.ops = 0;
    disk.crashAt = 2;
    await new Checkpoint(FILE, disk).save(NEW);
    const rebooted = disk.after("process");
    expect(rebooted.dir.has(`${FILE}.tmp`)).toBe(true);
    const cp = new Checkpoint(FILE, rebooted);
    expect(await cp.load()).toEqual({ ok: true, state: OLD });
    expect(await cp.save(NEW)).toEqual({ ok: true });
    expect(await new Checkpoint(FILE, rebooted.after("power")).load()).toEqual({ ok: true, state: NEW });
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
    const r = decodeCheckpoint(FILE, text.replace('"version":1', '"version":2'));
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
  it("missing file: empty state with a warning; save + load round-trips; stale temp ignored", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ckpt-"));
    try {
      const file = path.join(dir, "ipam-checkpoint.json");
      const cp = new Checkpoint(file);
      const first = await cp.load();
      expect(first).toMatchObject({ ok: true, state: { assignments: [], cooldowns: [] } });
      expect(first.ok && first.warning).toContain("missing");
      await fs.writeFile(`${file}.tmp`, "garbage{");
      expect(await cp.save(state(5))).toEqual({ ok: true });
      expect(await cp.load()).toEqual({ ok: true, state: state(5) });
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      await fs.writeFile(file, "{trunc");
      expect(await cp.load()).toMatchObject({ ok: false, error: { kind: "corrupt" } });
      const noDir = new Checkpoint(path.join(dir, "nope", "x.json"));
      expect(await noDir.save(state(1))).toMatchObject({ ok: false, error: { kind: "io" } });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
