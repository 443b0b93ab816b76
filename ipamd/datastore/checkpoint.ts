// The assignment checkpoint: who holds which address, durable on disk before
// the API answers, so a crash at any point loses or doubles no address.
//
// Two slots, <file> and <file>.b, written alternately IN PLACE, each save
// carrying a sequence number one above the last: a save overwrites the slot
// that does NOT hold the newest state, then fdatasyncs it. A crash mid-write
// can only tear that slot; the other still holds the previous complete state.
// Load reads both and takes the valid one with the higher sequence number.
// Each slot carries a version and a CRC-32 of its body, so a torn or foreign
// file is detected and reported as a typed error value (the caller then
// starts from EC2 + IMDS state instead of crash-looping). A save shorter than
// the slot is padded with spaces (JSON allows trailing whitespace), so a
// slot's size, and with it the file's metadata, rarely changes: one
// fdatasync, no journal commit, no rename (checkpoint-fs.ts has the numbers).
// A version 1 file (the rename scheme: one file, no sequence number) loads as
// sequence 0, so an upgraded ipamd keeps its pods.
//
// With group commit (./durable.ts: all mutations waiting on one write share
// it) the cost of a save is per batch of concurrent ADD/DELs, not per pod.

import { createHash } from "node:crypto";
import { rename } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { type CheckpointFs, nodeCheckpointFs, type SlotHandle } from "./checkpoint-fs.ts";
import { withTestTrap } from "./checkpoint-trap.ts";
import type { Assignment, DatastoreState } from "./types.ts";

export type { CheckpointFs, SlotHandle } from "./checkpoint-fs.ts";
export { nodeCheckpointFs } from "./checkpoint-fs.ts";

export const CHECKPOINT_VERSION = 2;
/** Version 1 files (no sequence number) are still read, as sequence 0. */
const READABLE_VERSIONS = [1, 2];
const SPACE = 0x20;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;
const UTF8 = new TextEncoder();

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
  | {
      ok: true;
      state: DatastoreState;
      /** Set when there was no file: starting empty. */
      warning?: string;
      /**
       * Set when the newest slot was unreadable and the other one was used: a
       * save torn by a crash (never acknowledged, so the older state is right)
       * or damage (then the last acknowledged change may be missing: the caller
       * should hold what the host shows in use, as for a lost checkpoint).
       */
      olderSlot?: string;
    }
  | { ok: false; error: CheckpointError };

export type SaveResult = { ok: true } | { ok: false; error: CheckpointError };

interface FileFormat {
  version: number;
  seq?: number;
  /** Version 2: CRC-32 of the state's JSON, 8 hex digits. */
  crc32?: string;
  /** Version 1: SHA-256 of the state's JSON. */
  sha256?: string;
  state: DatastoreState;
}

export function encodeCheckpoint(state: DatastoreState, seq = 1): string {
  const body = JSON.stringify(state);
  // state last, so the checksum is checked against exactly these bytes on load
  return `{"version":${CHECKPOINT_VERSION},"seq":${seq},"crc32":"${crc32Hex(body)}","state":${body}}\n`;
}

/** What a save takes: a state whose records may be the datastore's own (never modified once stored). */
export interface StateToSave {
  readonly assignments: readonly Assignment[];
  readonly cooldowns: DatastoreState["cooldowns"];
}

const ASSIGNMENTS_OPEN = UTF8.encode('{"assignments":[');
const COOLDOWNS_OPEN = UTF8.encode('],"cooldowns":');
/** From the first crc32 digit in the header to the body's first byte. */
const CRC_TO_BODY = '00000000","state":'.length;

/**
 * encodeCheckpoint(state, seq), byte for byte, written into `buf` (grown when
 * too small) and padded with spaces to at least `padTo` bytes. Each record's
 * JSON bytes come from `cache` (by identity; records are immutable), so a save
 * encodes only the records new since the last one, builds no string of the
 * whole state and allocates nothing when the buffer is big enough: encoding
 * the whole state per batch was ~5 % of ipamd's CPU under bench:daemon.
 * Returns the buffer (maybe new) and the file's bytes, a view into it.
 */
function encodeInto(
  buf: Uint8Array,
  state: StateToSave,
  seq: number,
  padTo: number,
  cache: WeakMap<Assignment, Uint8Array>,
): [Uint8Array, Uint8Array] {
  const { assignments } = state;
  const records: Uint8Array[] = new Array(assignments.length);
  let recordBytes = Math.max(assignments.length - 1, 0); // the commas
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i]!;
    let bytes = cache.get(a);
    if (bytes === undefined) {
      bytes = UTF8.encode(JSON.stringify(a));
      cache.set(a, bytes);
    }
    records[i] = bytes;
    recordBytes += bytes.length;
  }
  const tail = UTF8.encode(`${JSON.stringify(state.cooldowns)}}`);
  const head = `{"version":${CHECKPOINT_VERSION},"seq":${seq},"crc32":"00000000","state":`;
  const bodyAt = head.length;
  const bodyEnd = bodyAt + ASSIGNMENTS_OPEN.length + recordBytes + COOLDOWNS_OPEN.length + tail.length;
  const size = Math.max(bodyEnd + 2, padTo);
  // Its own memory, kept for the next save.
  const out = buf.length >= size ? buf : new Uint8Array(Math.max(size, buf.length * 2));
  let at = putAscii(out, 0, head);
  out.set(ASSIGNMENTS_OPEN, at);
  at += ASSIGNMENTS_OPEN.length;
  for (let i = 0; i < records.length; i++) {
    if (i > 0) out[at++] = COMMA;
    out.set(records[i]!, at);
    at += records[i]!.length;
  }
  out.set(COOLDOWNS_OPEN, at);
  at += COOLDOWNS_OPEN.length;
  out.set(tail, at);
  at += tail.length;
  const crc = crc32(out.subarray(bodyAt, at)).toString(16).padStart(8, "0");
  putAscii(out, bodyAt - CRC_TO_BODY, crc);
  out[at++] = CLOSE_BRACE;
  out[at++] = NEWLINE;
  out.fill(SPACE, at, size);
  return [out, out.subarray(0, size)];
}

/** Writes an ASCII string's bytes at `at`; returns the offset after them. */
function putAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/**
 * The checksum only has to catch torn and damaged files, not tampering: CRC-32
 * does, at a fraction of SHA-256's cost. Every save checksums the whole state
 * (group commit: once per batch), and under bench:daemon's load SHA-256 was
 * 3.5 % of the server's CPU.
 */
function crc32Hex(body: string): string {
  return crc32(body).toString(16).padStart(8, "0");
}

/** What one slot holds: a state and its sequence number, or why not. */
type SlotRead =
  | { kind: "missing" }
  | { kind: "ok"; state: DatastoreState; seq: number }
  | { kind: "bad"; error: CheckpointError };

export class Checkpoint {
  /** Slot 0; slot 1 is `${file}.b`. */
  readonly file: string;
  readonly #fs: CheckpointFs;
  /** Which slot holds the newest complete state, and its sequence number; undefined: none yet. */
  #newest: { slot: 0 | 1; seq: number } | undefined;
  /** Each slot's size in bytes (a shorter save is padded to it). */
  readonly #sizes = [0, 0];
  /** Whether each slot file exists with content (else the next save there creates it). */
  readonly #exists = [false, false];
  readonly #handles: (SlotHandle | undefined)[] = [undefined, undefined];
  #scanned = false;
  /** Where saves are encoded (grows to the largest checkpoint so far). */
  #buf: Uint8Array = new Uint8Array(0);
  /** Each record's JSON bytes, by identity (see encodeInto). */
  readonly #encoded = new WeakMap<Assignment, Uint8Array>();
  /** Saves run one at a time (DurableDatastore already serializes them; this keeps direct callers safe). */
  #tail: Promise<unknown> = Promise.resolve();

  // The default fs carries the soak test's crash point, inert unless its env variable is set.
  constructor(
    file: string,
    fs: CheckpointFs = withTestTrap(nodeCheckpointFs, process.env["VPC_CNI_TEST_CHECKPOINT_TRAP"]),
  ) {
    this.file = file;
    this.#fs = fs;
  }

  get slotFiles(): readonly [string, string] {
    return [this.file, `${this.file}.b`];
  }

  save(state: StateToSave): Promise<SaveResult> {
    const run = () => this.#save(state);
    const p = this.#tail.then(run, run);
    this.#tail = p;
    return p;
  }

  async #save(state: StateToSave): Promise<SaveResult> {
    const fail = (e: unknown): SaveResult => ({
      ok: false,
      error: new CheckpointError("io", this.file, `save failed: ${(e as Error).message}`),
    });
    try {
      // A save before any load (tests, tools) must still not overwrite the newest slot.
      if (!this.#scanned) await this.#read();
    } catch (e) {
      return fail(e);
    }
    const target: 0 | 1 = this.#newest?.slot === 0 ? 1 : 0;
    const seq = (this.#newest?.seq ?? 0) + 1;
    // The buffer is reused by the next save: saves run one at a time and the fs does not keep `data`.
    const [buf, data] = encodeInto(this.#buf, state, seq, this.#sizes[target]!, this.#encoded);
    this.#buf = buf;
    try {
      if (!this.#exists[target]) {
        // First use of this slot: created whole (temp + rename), never torn.
        await this.#fs.createSlot(this.slotFiles[target], data);
        this.#exists[target] = true;
      } else {
        let slot = this.#handles[target];
        if (slot === undefined) {
          slot = await this.#fs.openSlot(this.slotFiles[target]);
          this.#handles[target] = slot;
        }
        await slot.write(data);
        await slot.sync();
      }
    } catch (e) {
      // The target slot may now be torn: the other one still holds the newest state, and the next save
      // tries this slot again. Reopen it then, in case the handle itself is what failed.
      this.#handles[target]?.close();
      this.#handles[target] = undefined;
      return fail(e);
    }
    this.#sizes[target] = data.length;
    this.#newest = { slot: target, seq };
    return { ok: true };
  }

  async load(): Promise<LoadResult> {
    let slots: [SlotRead, SlotRead];
    try {
      slots = await this.#read();
    } catch (e) {
      return {
        ok: false,
        error: new CheckpointError("io", this.file, `read failed: ${(e as Error).message}`),
      };
    }
    const [a, b] = slots;
    if (a.kind === "missing" && b.kind === "missing") {
      return {
        ok: true,
        state: { assignments: [], cooldowns: [] },
        warning: `checkpoint ${this.file} missing: starting empty`,
      };
    }
    const n = this.#newest;
    if (n === undefined)
      return { ok: false, error: a.kind === "bad" ? a.error : (b as { error: CheckpointError }).error };
    const chosen = slots[n.slot] as { state: DatastoreState };
    const other = slots[n.slot === 0 ? 1 : 0]!;
    if (other.kind === "bad") {
      return {
        ok: true,
        state: chosen.state,
        olderSlot: `${other.error.message}; using the other slot (seq ${n.seq})`,
      };
    }
    return { ok: true, state: chosen.state };
  }

  /**
   * Renames both slot files to `<name>.<suffix>` (recovery keeps an unreadable
   * checkpoint for forensics) and starts over: the next save creates slot 0.
   */
  async setAside(suffix: string): Promise<string[]> {
    this.close();
    const moved: string[] = [];
    for (const f of this.slotFiles) {
      const to = `${f}.${suffix}`;
      try {
        await rename(f, to);
        moved.push(to);
      } catch {
        // A missing slot has nothing to keep.
      }
    }
    this.#newest = undefined;
    this.#sizes.fill(0);
    this.#exists.fill(false);
    this.#scanned = true;
    return moved;
  }

  /** Closes the slots' file handles (shutdown, tests); a later save reopens them. */
  close(): void {
    for (const [i, h] of this.#handles.entries()) {
      h?.close();
      this.#handles[i] = undefined;
    }
  }

  /** Reads both slots; remembers their sizes and which holds the newest valid state. */
  async #read(): Promise<[SlotRead, SlotRead]> {
    const raws = await Promise.all(this.slotFiles.map((f) => this.#fs.readFile(f)));
    const reads = raws.map((raw, i): SlotRead => {
      this.#sizes[i] = raw?.length ?? 0;
      this.#exists[i] = raw !== undefined && raw.length > 0;
      if (!this.#exists[i]) return { kind: "missing" };
      const r = decodeSlot(this.slotFiles[i]!, new TextDecoder().decode(raw));
      return r.ok ? { kind: "ok", state: r.state, seq: r.seq } : { kind: "bad", error: r.error };
    }) as [SlotRead, SlotRead];
    this.#newest = undefined;
    for (const slot of [0, 1] as const) {
      const r = reads[slot];
      if (r.kind === "ok" && (this.#newest === undefined || r.seq > this.#newest.seq)) {
        this.#newest = { slot, seq: r.seq };
      }
    }
    this.#scanned = true;
    return reads;
  }
}

export function decodeCheckpoint(file: string, text: string): LoadResult {
  const r = decodeSlot(file, text);
  return r.ok ? { ok: true, state: r.state } : r;
}

type DecodedSlot = { ok: true; state: DatastoreState; seq: number } | { ok: false; error: CheckpointError };

function decodeSlot(file: string, text: string): DecodedSlot {
  const corrupt = (why: string): DecodedSlot => ({
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
  if (typeof f.version !== "number" || !READABLE_VERSIONS.includes(f.version)) {
    return {
      ok: false,
      error: new CheckpointError(
        "version",
        file,
        `version ${String(f.version)}, this ipamd reads ${READABLE_VERSIONS.join(" and ")}`,
      ),
    };
  }
  const seq = f.version === 1 ? 0 : f.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return corrupt("bad sequence number");
  const body = JSON.stringify(f.state) ?? "";
  const sum = f.version === 1 ? f.sha256 : f.crc32;
  const want = f.version === 1 ? createHash("sha256").update(body).digest("hex") : crc32Hex(body);
  if (typeof sum !== "string" || sum !== want) return corrupt("checksum mismatch");
  const why = invalidState(f.state);
  if (why) return corrupt(why);
  return { ok: true, state: f.state as DatastoreState, seq };
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
