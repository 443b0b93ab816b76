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
import type { DatastoreState } from "./types.ts";

export type { CheckpointFs, SlotHandle } from "./checkpoint-fs.ts";
export { nodeCheckpointFs } from "./checkpoint-fs.ts";

export const CHECKPOINT_VERSION = 2;
/** Version 1 files (no sequence number) are still read, as sequence 0. */
const READABLE_VERSIONS = [1, 2];
const SPACE = 0x20;

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

/**
 * The checksum only has to catch torn and damaged files, not tampering: CRC-32
 * does, at a fraction of SHA-256's cost. Every save re-encodes the whole state
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

  save(state: DatastoreState): Promise<SaveResult> {
    const run = () => this.#save(state);
    const p = this.#tail.then(run, run);
    this.#tail = p;
    return p;
  }

  async #save(state: DatastoreState): Promise<SaveResult> {
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
    const text = new TextEncoder().encode(encodeCheckpoint(state, seq));
    const data = new Uint8Array(Math.max(text.length, this.#sizes[target]!)).fill(SPACE, text.length);
    data.set(text);
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
