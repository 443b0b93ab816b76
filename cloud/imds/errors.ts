// Typed IMDS failures, so ipamd can tell "not there yet" (eventual
// consistency after an attach) from "cannot reach IMDS at all".

export type ImdsErrorKind =
  /** 404: the path does not exist (yet: IMDS lags EC2 by seconds after an attach). */
  | "not-found"
  /** 401/403 even with a fresh token. */
  | "unauthorized"
  /** Connection refused, timeout, DNS: also what a too-low hop limit looks like from a pod. */
  | "unreachable"
  /** Any other HTTP status (5xx after retries). */
  | "http"
  /** The answer was not what the path promises (e.g. a non-numeric device-number). */
  | "malformed";

export class ImdsError extends Error {
  readonly kind: ImdsErrorKind;
  readonly path: string;
  readonly status: number | undefined;
  constructor(init: { kind: ImdsErrorKind; path: string; message: string; status?: number }) {
    super(`IMDS ${init.path}: ${init.message}`);
    this.name = "ImdsError";
    this.kind = init.kind;
    this.path = init.path;
    this.status = init.status;
  }
}

export function isImdsError(e: unknown, kind?: ImdsErrorKind): e is ImdsError {
  return e instanceof ImdsError && (kind === undefined || e.kind === kind);
}
