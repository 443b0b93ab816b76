// MaxResults / NextToken for Describe* calls. Pure. The token is opaque to
// callers (base64 of the offset and a fingerprint of the request) so a token
// replayed with a different filter is refused, as AWS refuses it.

import { fault } from "./fault.ts";

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

export interface PageRequest {
  maxResults: number | undefined;
  nextToken: string | undefined;
  /** Identifies the query (action + filters), so tokens cannot be reused across queries. */
  fingerprint: string;
  /** AWS's bounds for this action's MaxResults. */
  min: number;
  max: number;
}

export function encodeToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString("base64url");
}

function decodeToken(token: string, fingerprint: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      o?: unknown;
      f?: unknown;
    };
    if (
      typeof parsed.o === "number" &&
      Number.isInteger(parsed.o) &&
      parsed.o >= 0 &&
      parsed.f === fingerprint
    ) {
      return parsed.o;
    }
  } catch {
    // fall through to the AWS error below
  }
  throw fault("InvalidPaginationToken", `Invalid pagination token: ${token}`);
}

export function paginate<T>(all: readonly T[], req: PageRequest): Page<T> {
  if (req.maxResults !== undefined && (req.maxResults < req.min || req.maxResults > req.max)) {
    throw fault(
      "InvalidParameterValue",
      `Value (${req.maxResults}) for parameter maxResults is invalid. Expecting a value between ${req.min} and ${req.max}.`,
    );
  }
  const start = req.nextToken === undefined ? 0 : decodeToken(req.nextToken, req.fingerprint);
  if (req.maxResults === undefined) return { items: all.slice(start), nextToken: undefined };
  const end = start + req.maxResults;
  return {
    items: all.slice(start, end),
    nextToken: end < all.length ? encodeToken(end, req.fingerprint) : undefined,
  };
}
