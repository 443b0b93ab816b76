// One request to ipamd, one answer (protocol.ts: one JSON line each way), and
// the mapping of everything that can go wrong to a CNI error. The answer is
// checked before use: a garbled or oversized reply must become a clear error,
// never a half-filled CNI result.
import {
  type AddResult,
  type IpamdError,
  type IpamdRequest,
  MAX_MESSAGE_BYTES,
  type StatusResult,
} from "../ipamd/api/protocol.ts";
import { isDottedQuad } from "./chars.ts";
import { CNI_ERR, CniError } from "./errors.ts";
import { type TransportFailure, unixRoundTrip } from "./runtime.ts";

export type IpamdAnswer =
  | { ok: true; op: "add"; result: AddResult }
  | { ok: true; op: "del" | "check" }
  | { ok: true; op: "gc"; released: number }
  | { ok: true; op: "status"; result: StatusResult }
  | { ok: false; error: IpamdError };

export type Outcome = { kind: "answer"; answer: IpamdAnswer } | { kind: "failed"; failure: TransportFailure };

/** The transport, injectable so unit tests can replace the socket. */
export type Transport = (
  path: string,
  line: string,
  timeoutMs: number,
  maxBytes: number,
) => ReturnType<typeof unixRoundTrip>;

export async function callIpamd(
  socketPath: string,
  req: IpamdRequest,
  timeoutMs: number,
  transport: Transport = unixRoundTrip,
): Promise<Outcome> {
  const rt = await transport(socketPath, JSON.stringify(req) + "\n", timeoutMs, MAX_MESSAGE_BYTES);
  if (!rt.ok) return { kind: "failed", failure: rt.failure };
  const answer = decodeAnswer(rt.line, req.op);
  if (typeof answer === "string") return { kind: "failed", failure: { kind: "io", reason: answer } };
  return { kind: "answer", answer };
}

const isStr = (v: unknown): v is string => typeof v === "string";
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function isIfRef(v: unknown, sandbox: boolean): boolean {
  return (
    isObj(v) && isStr(v["name"]) && v["name"] !== "" && isStr(v["mac"]) && (!sandbox || isStr(v["sandbox"]))
  );
}

/** Returns the validated answer, or a string saying what is wrong with it. */
export function decodeAnswer(line: string, op: IpamdRequest["op"]): IpamdAnswer | string {
  if (line.trim() === "") return "ipamd closed the connection without an answer";
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return `ipamd sent a malformed answer (not JSON): ${line.slice(0, 120)}`;
  }
  if (!isObj(v)) return "ipamd sent a malformed answer (not an object)";
  if (v["ok"] === false) {
    const e = v["error"];
    if (!isObj(e) || typeof e["code"] !== "number" || !Number.isInteger(e["code"]) || !isStr(e["msg"])) {
      return "ipamd sent a malformed error (needs integer code and msg)";
    }
    const error: IpamdError = { code: e["code"], msg: e["msg"] };
    if (isStr(e["details"])) error.details = e["details"];
    return { ok: false, error };
  }
  if (v["ok"] !== true || v["op"] !== op)
    return `ipamd sent an answer for ${String(v["op"])}, expected ${op}`;
  if (op === "add") {
    const r = v["result"];
    if (
      !isObj(r) ||
      !isStr(r["ip"]) ||
      !isDottedQuad(r["ip"]) ||
      !isStr(r["podGateway"]) ||
      typeof r["mtu"] !== "number" ||
      !isIfRef(r["hostInterface"], false) ||
      !isIfRef(r["podInterface"], true)
    ) {
      return "ipamd sent a malformed ADD result (needs ip, podGateway, mtu, hostInterface, podInterface)";
    }
    return { ok: true, op, result: r as unknown as AddResult };
  }
  if (op === "status") {
    const r = v["result"];
    if (!isObj(r) || typeof r["ready"] !== "boolean" || typeof r["available"] !== "number") {
      return "ipamd sent a malformed STATUS result (needs ready, available)";
    }
    return { ok: true, op, result: r as unknown as StatusResult };
  }
  if (op === "gc") return { ok: true, op, released: typeof v["released"] === "number" ? v["released"] : 0 };
  return { ok: true, op };
}

/** The common mapping of a failed round trip to a CNI error (STATUS and DEL have their own rules). */
export function failureToError(f: TransportFailure, socketPath: string): CniError {
  switch (f.kind) {
    case "unreachable":
      return new CniError(
        CNI_ERR.TRY_AGAIN_LATER,
        `ipamd is not running on this node (socket ${socketPath}): ${f.reason}`,
        "start or wait for the vpc-cni ipamd daemon; the runtime will retry",
      );
    case "timeout":
      return new CniError(
        CNI_ERR.TRY_AGAIN_LATER,
        `ipamd did not answer in time (socket ${socketPath}): ${f.reason}`,
      );
    case "oversized":
    case "io":
      return new CniError(CNI_ERR.IO_FAILURE, `talking to ipamd (socket ${socketPath}) failed: ${f.reason}`);
  }
}

/** ipamd's own errors pass through with their code and message (they carry the numbers). */
export function ipamdErrorToCni(e: IpamdError): CniError {
  // Code 0 is "unknown" in libcni and negative codes are meaningless: report those as internal.
  const code = e.code >= 1 ? e.code : CNI_ERR.INTERNAL;
  return new CniError(code, e.msg, e.details ?? "");
}
