// Maps whatever an EC2 call threw (an SDK ServiceException, a Node network
// error, a timeout) onto the Ec2Error kinds the pool logic branches on.
// Pure: no SDK import, only duck typing on the thrown value, so it is
// table-tested without an endpoint.

import { Ec2Error, type Ec2ErrorKind } from "./types.ts";

// Codes that say "this instance cannot take more": asking again never helps,
// ipamd must stop growing the pool on this node.
const LIMIT_CODES = new Set(["AttachmentLimitExceeded", "PrivateIpAddressLimitExceeded"]);
// The subnet ran out of addresses (or /28-aligned blocks for prefixes).
const SUBNET_FULL_CODES = new Set(["InsufficientFreeAddressesInSubnet", "InsufficientCidrBlocks"]);
// EC2 answers throttled calls with RequestLimitExceeded; other AWS services
// (and some SDK paths) say Throttling / ThrottlingException.
const THROTTLE_CODES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
]);
const UNAUTHORIZED_CODES = new Set([
  "UnauthorizedOperation",
  "AuthFailure",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "OptInRequired",
  "Blocked",
]);
// Server-side trouble that a later attempt may not see.
const TRANSIENT_CODES = new Set([
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "Unavailable",
  "RequestTimeout",
  "RequestTimeoutException",
  "NetworkError",
  "TimeoutError",
]);
// Errors raised below HTTP (Node sockets, undici, the SDK's request handler).
const NETWORK_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** The kind for an AWS error code and HTTP status; the table the contract documents. */
export function classifyCode(code: string, httpStatus: number | undefined): Ec2ErrorKind {
  if (LIMIT_CODES.has(code)) return "limit";
  if (SUBNET_FULL_CODES.has(code)) return "subnet-full";
  if (THROTTLE_CODES.has(code)) return "throttled";
  if (UNAUTHORIZED_CODES.has(code)) return "unauthorized";
  // InvalidNetworkInterfaceID.NotFound, InvalidAttachmentID.NotFound, InvalidSubnetID.NotFound, ...
  if (code.endsWith(".NotFound") || code.endsWith("NotFound")) return "not-found";
  if (TRANSIENT_CODES.has(code)) return "transient";
  if (httpStatus === 429) return "throttled";
  if (httpStatus !== undefined && httpStatus >= 500) return "transient";
  if (httpStatus === 401 || httpStatus === 403) return "unauthorized";
  return "invalid";
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $response?: { statusCode?: unknown };
}

function asObject(e: unknown): ErrorLike | undefined {
  return typeof e === "object" && e !== null ? (e as ErrorLike) : undefined;
}

function httpStatusOf(e: ErrorLike): number | undefined {
  const s = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return typeof s === "number" ? s : undefined;
}

/** A Node/undici errno anywhere along the cause chain (fetch wraps the socket error). */
function networkErrno(e: ErrorLike | undefined, depth = 0): string | undefined {
  if (e === undefined || depth > 4) return undefined;
  if (typeof e.code === "string" && NETWORK_ERRNO.has(e.code)) return e.code;
  return networkErrno(asObject(e.cause), depth + 1);
}

/** Turns anything an SDK call threw into an Ec2Error (an Ec2Error passes through unchanged). */
export function toEc2Error(action: string, err: unknown): Ec2Error {
  if (err instanceof Ec2Error) return err;
  const e = asObject(err);
  const message = typeof e?.message === "string" ? e.message : String(err);
  const name = typeof e?.name === "string" ? e.name : "";
  // The SDK's handler raises TimeoutError / AbortError for socket and request
  // timeouts (a request timeout also carries code ETIMEDOUT: still a timeout).
  if (name === "TimeoutError" || name === "AbortError") {
    return new Ec2Error({ kind: "transient", code: "TimeoutError", action, message });
  }
  const errno = networkErrno(e);
  if (errno !== undefined) {
    return new Ec2Error({ kind: "transient", code: "NetworkError", action, message: `${errno}: ${message}` });
  }
  const httpStatus = e ? httpStatusOf(e) : undefined;
  // A ServiceException has the AWS code as its name; a bare Error without
  // an HTTP status never reached EC2 (e.g. a socket closed mid-response).
  // (A TypeError is left to "invalid": it is a bug, and retrying will not fix it.)
  if (httpStatus === undefined && (name === "" || name === "Error")) {
    return new Ec2Error({ kind: "transient", code: "NetworkError", action, message });
  }
  const code = name === "" ? "Unknown" : name;
  const init = { kind: classifyCode(code, httpStatus), code, action, message };
  return new Ec2Error(httpStatus === undefined ? init : { ...init, httpStatus });
}
