// The assignment checkpoint: who holds which address, durable on disk before
// the API answers, so a crash at any point loses or doubles no address.
//
// Write: temp file, write, fsync, close, rename over the real file, fsync the
// directory. A crash before the rename leaves the old file; after it, the new
// one; the temp file is never read (a leftover is overwritten next time).
// The file carries a version and a SHA-256 of its body, so a torn or foreign
// file is detected and reported as a typed error value (the caller then starts
// from EC2 + IMDS state instead of crash-looping).
//
// Measured on the project machine (ext4, 2 shared cores, 110 assignments =
// 34 KB): rename scheme 1.3-6.6 ms per save (typ. ~4), append + fdatasync of
// one record 0.5-2.2 ms. The append log is faster per op but needs torn-record
// handling and compaction; with group commit (./durable.ts: all mutations
// waiting on one write share it) the rename scheme's cost is per batch, not
// per pod, so we keep the simpler, obviously-atomic scheme.

import { createHash } from "node:crypto";
import { closeSync, fchmodSync, fsync, openSync, rename, writeSync } from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { withTestTrap } from "./checkpoint-trap.ts";
import type { DatastoreState } from "./types.ts";

export const CHECKPOINT_VERSION = 1;

/** The file-system operations a save/load uses; injectable so tests can crash at each one. */
export interface CheckpointFs {
  /** undefined when the file does not exist. */
  readFile(file: string): Promise<Uint8Array | undefined>;
  /** Create or truncate for writing. */
  open(file: string): Promise<CheckpointFileHandle>;
  rename(from: string, to: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
}

export interface CheckpointFileHandle {
  write(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

// The two fsyncs and the rename go to libuv's threadpool. open/write/close/
// chmod touch the page cache only (tens of µs) and run synchronously: each
// async fs call is a threadpool round trip, and on the loaded 2-core machine
// those hand-offs were most of a save (9 hops before). The rename is NOT one
// of the cheap ones: on ext4 it joins the running journal transaction and
// waits while the previous save's fsync commits it -- renameSync was 36 % of
// the server's busy time under bench:daemon, the main thread blocked on disk.
export const nodeCheckpointFs: CheckpointFs = {
  async readFile(file) {
    try {
      return await fsp.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  },
  async open(file) {
    const fd = openSync(file, "w", 0o600);
    let closed = false;
    const close = () => {
      if (!closed) closeSync(fd);
      closed = true;
    };
    try {
      // A leftover temp file keeps its old mode across "w": force owner-only.
      fchmodSync(fd, 0o600);
    } catch (e) {
      close();
      throw e;
    }
    return {
      write: async (data) => {
        for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
      },
      sync: () => fsyncAsync(fd),
      close: async () => close(),
    };
  },
  rename: (from, to) =>
    new Promise((resolve, reject) => rename(from, to, (e) => (e ? reject(e) : resolve()))),
  async fsyncDir(dir) {
    const fd = openSync(dir, "r");
    try {
      await fsyncAsync(fd);
    } finally {
      closeSync(fd);
    }
  },
};

function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export type CheckpointErrorKind = "corrupt" | "version" | "io";

export class CheckpointError extends Error {
  readonly kind: CheckpointErrorKind;
  readonly file: string;
  constructor(kind: CheckpointErrorKind, file: string, message: string) {
    super(`checkpoint ${file}: ${message}`);
    this.name = "CheckpointError";
    this.kind = kind;
    this.file = file;
  }
}

export type LoadResult =
  | { ok: true; state: DatastoreState /** Set when there was no file: starting empty. */; warning?: string }
  | { ok: false; error: CheckpointError };

export type SaveResult = { ok: true } | { ok: false; error: CheckpointError };

interface FileFormat {
  version: number;
  sha256: string;
  state: DatastoreState;
}

export function encodeCheckpoint(state: DatastoreState): string {
  const body = JSON.stringify(state);
  const sha256 = createHash("sha256").update(body).digest("hex");
  // state last, so sha256 is checked against exactly these bytes on load
  return `{"version":${CHECKPOINT_VERSION},"sha256":"${sha256}","state":${body}}\n`;
}

export class Checkpoint {
  readonly file: string;
  readonly #fs: CheckpointFs;

  // The default fs carries the soak test's crash point, inert unless its env variable is set.
  constructor(
    file: string,
    fs: CheckpointFs = withTestTrap(nodeCheckpointFs, process.env["VPC_CNI_TEST_CHECKPOINT_TRAP"]),
  ) {
    this.file = file;
    this.#fs = fs;
  }

  get tempFile(): string {
    return `${this.file}.tmp`;
  }

  async save(state: DatastoreState): Promise<SaveResult> {
    const data = new TextEncoder().encode(encodeCheckpoint(state));
    try {
      const h = await this.#fs.open(this.tempFile);
      try {
        await h.write(data);
        await h.sync();
      } finally {
        await h.close();
      }
      await this.#fs.rename(this.tempFile, this.file);
      await this.#fs.fsyncDir(path.dirname(this.file));
      return { ok: true };
    } catch (e) {
      return {
        ok: false,
        error: new CheckpointError("io", this.file, `save failed: ${(e as Error).message}`),
      };
    }
  }

  async load(): Promise<LoadResult> {
    let raw: Uint8Array | undefined;
    try {
      raw = await this.#fs.readFile(this.file);
    } catch (e) {
      return {
        ok: false,
        error: new CheckpointError("io", this.file, `read failed: ${(e as Error).message}`),
      };
    }
    if (raw === undefined) {
      return {
        ok: true,
        state: { assignments: [], cooldowns: [] },
        warning: `checkpoint ${this.file} missing: starting empty`,
      };
    }
    return decodeCheckpoint(this.file, new TextDecoder().decode(raw));
  }
}

export function decodeCheckpoint(file: string, text: string): LoadResult {
  const corrupt = (why: string): LoadResult => ({
    ok: false,
    error: new CheckpointError("corrupt", file, why),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return corrupt(`not valid JSON (${text.length} bytes; truncated?)`);
  }
  if (typeof parsed !== "object" || parsed === null) return corrupt("not a JSON object");
  const f = parsed as Partial<FileFormat>;
  if (f.version !== CHECKPOINT_VERSION) {
    return {
      ok: false,
      error: new CheckpointError(
        "version",
        file,
        `version ${String(f.version)}, this ipamd reads ${CHECKPOINT_VERSION}`,
      ),
    };
  }
  const body = JSON.stringify(f.state);
  if (
    typeof f.sha256 !== "string" ||
    createHash("sha256")
      .update(body ?? "")
      .digest("hex") !== f.sha256
  ) {
    return corrupt("checksum mismatch");
  }
  const why = invalidState(f.state);
  if (why) return corrupt(why);
  return { ok: true, state: f.state as DatastoreState };
}

const isStr = (v: unknown): v is string => typeof v === "string";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function invalidState(s: unknown): string | undefined {
  if (typeof s !== "object" || s === null) return "state is not an object";
  const st = s as Record<string, unknown>;
  if (!Array.isArray(st.assignments) || !Array.isArray(st.cooldowns))
    return "state lacks assignments/cooldowns";
  for (const [i, a] of st.assignments.entries()) {
    const r = a as Record<string, Record<string, unknown> | unknown>;
    const k = r.key as Record<string, unknown> | undefined;
    const p = r.pod as Record<string, unknown> | undefined;
    const ok =
      k &&
      isStr(k.network) &&
      isStr(k.containerId) &&
      isStr(k.ifName) &&
      p &&
      isStr(p.namespace) &&
      isStr(p.name) &&
      isStr(r.ip) &&
      isStr(r.eniId) &&
      isStr(r.netns) &&
      isStr(r.hostVeth) &&
      isNum(r.assignedAtMs);
    if (!ok) return `assignment #${i} is malformed`;
  }
  for (const [i, c] of st.cooldowns.entries()) {
    const r = c as Record<string, unknown>;
    if (!isStr(r.ip) || !isNum(r.untilMs)) return `cooldown #${i} is malformed`;
  }
  return undefined;
}
