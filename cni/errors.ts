// CNI errors as typed values. Every failure the plugin reports is a CniError
// carrying a spec code, so the one place that prints (main.ts) can always
// produce the spec's error JSON on stdout and exit non-zero.
import { CNI_ERR } from "../ipamd/api/protocol.ts";

export { CNI_ERR };

export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details: string;

  constructor(code: number, msg: string, details = "") {
    super(msg);
    this.name = "CniError";
    this.code = code;
    this.msg = msg;
    this.details = details;
  }
}

/** The spec's error object (section "Error"), printed on stdout. */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export function errorJson(err: CniError, cniVersion: string): CniErrorJson {
  const out: CniErrorJson = { cniVersion, code: err.code, msg: err.msg };
  if (err.details !== "") out.details = err.details;
  return out;
}

/** Anything thrown that is not already a CniError is a bug: report it as internal, never crash silently. */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(CNI_ERR.INTERNAL, `internal error: ${msg}`);
}
