// Turns the netlink package's plain `Error("Request rejected: EEXIST")` into
// HostnetError values with an errno, so callers can branch on errno instead of
// matching strings, and so idempotent paths can ignore "already there/gone".
import { HostnetError, type HostnetErrorKind } from "./types.ts";

const REJECTED = /Request rejected: (E[A-Z0-9]+)/;

/** The errno name inside an error from the netlink package or the setns addon, if any. */
export function errnoOf(err: unknown): string | undefined {
  if (err instanceof HostnetError) return err.errno;
  if (!(err instanceof Error)) return undefined;
  const m = REJECTED.exec(err.message);
  if (m) return m[1];
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Wraps any thrown value as a HostnetError, keeping an existing one as is. */
export function toHostnetError(err: unknown, what: string, kind: HostnetErrorKind = "netlink"): HostnetError {
  if (err instanceof HostnetError) return err;
  const errno = errnoOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  return new HostnetError(kind, `${what}: ${detail}`, errno);
}

/** Runs a netlink call and rethrows failures as HostnetError describing `what`. */
export async function nl<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toHostnetError(err, what);
  }
}

/** "Already gone" answers from the kernel for deletes (route: ESRCH, rule/addr: ENOENT, link: ENODEV). */
const GONE = new Set(["ENOENT", "ESRCH", "ENODEV", "EADDRNOTAVAIL"]);

export function isGone(err: unknown): boolean {
  return isGoneErrno(errnoOf(err));
}

/** isGone for an errno name (a batch's outcome, rtnl.ts Rtnl.batch). */
export function isGoneErrno(errno: string | undefined): boolean {
  return errno !== undefined && GONE.has(errno);
}

export function isExists(err: unknown): boolean {
  return errnoOf(err) === "EEXIST";
}
