// Value parsers for environment settings. Each returns the parsed value or a
// sentence saying what is accepted; settings.ts adds the variable name and the
// raw value, so every message a user sees names all three.

import { vethPrefixProblem } from "../api/protocol.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; accepts: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(accepts: string): Parsed<T> => ({ ok: false, accepts });

/** The spellings Go's strconv.ParseBool accepts, which the AWS VPC CNI parses its booleans with. */
export const GO_BOOL_TRUE = ["1", "t", "T", "TRUE", "true", "True"] as const;
export const GO_BOOL_FALSE = ["0", "f", "F", "FALSE", "false", "False"] as const;
const BOOL_ACCEPTS =
  "true or false (or 1, t, T, TRUE, True / 0, f, F, FALSE, False, as Go's strconv.ParseBool)";

/**
 * Booleans as the AWS VPC CNI reads them (Go's strconv.ParseBool): exactly
 * those twelve spellings, surrounding blanks ignored. "yes", "on", "tRuE" are
 * refused rather than guessed (the AWS VPC CNI would silently use the default).
 */
export function parseBool(raw: string): Parsed<boolean> {
  const v = raw.trim();
  if ((GO_BOOL_TRUE as readonly string[]).includes(v)) return ok(true);
  if ((GO_BOOL_FALSE as readonly string[]).includes(v)) return ok(false);
  return bad(BOOL_ACCEPTS);
}

/** Decimal integer in [min, max]. No signs, no exponents, no hex: "1e3" in a pod spec is a typo, not 1000. */
export function parseWholeNumber(raw: string, min: number, max: number): Parsed<number> {
  const v = raw.trim();
  if (!/^[0-9]+$/.test(v)) return bad(`a whole number from ${min} to ${max}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) return bad(`a whole number from ${min} to ${max}`);
  return ok(n);
}

/** Decimal integer with an optional sign, as Go's strconv.Atoi reads it ("+3", "-1"); no exponents, no hex. */
export function parseInteger(raw: string): Parsed<number> {
  const v = raw.trim();
  const n = Number(v);
  if (!/^[+-]?[0-9]+$/.test(v) || !Number.isSafeInteger(n)) return bad("a whole number");
  return ok(n === 0 ? 0 : n); // no -0
}

export function parseIpv4(raw: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(raw);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    // Leading zeros are ambiguous (octal in some parsers): refuse them.
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/** IPv4 CIDR "a.b.c.d/n". Host bits may be set (AWS accepts them); the value is kept as written. */
export function parseCidr(raw: string): Parsed<string> {
  const v = raw.trim();
  const slash = v.indexOf("/");
  const accepts = "IPv4 CIDRs such as 10.0.0.0/16";
  if (slash < 0) return bad(accepts);
  if (parseIpv4(v.slice(0, slash)) === undefined) return bad(accepts);
  const len = v.slice(slash + 1);
  if (!/^[0-9]{1,2}$/.test(len) || Number(len) > 32) return bad(accepts);
  return ok(v);
}

export function parseCidrList(raw: string): Parsed<readonly string[]> {
  const out: string[] = [];
  for (const item of raw.split(",")) {
    if (item.trim() === "") continue; // tolerate "a,b," as aws-node configs often have
    const c = parseCidr(item);
    if (!c.ok) return bad(`a comma-separated list of IPv4 CIDRs such as 10.0.0.0/16,192.168.0.0/24`);
    out.push(c.value);
  }
  return ok(Object.freeze(out));
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** "host:port" or "[v6]:port". Host may be an IPv4 address, "localhost", or a bracketed IPv6 literal. */
export function parseListenAddress(raw: string, loopbackOnly: boolean): Parsed<ListenAddress> {
  const v = raw.trim();
  const accepts = loopbackOnly
    ? "a loopback host:port such as 127.0.0.1:61679 (introspection has no authentication)"
    : "host:port such as 0.0.0.0:61678";
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(v);
  if (!m) return bad(accepts);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return bad(accepts);
  const v4 = parseIpv4(host);
  if (m[2] !== undefined && v4 === undefined && host !== "localhost") return bad(accepts);
  if (loopbackOnly) {
    const loop = host === "localhost" || host === "::1" || (v4 !== undefined && v4 >>> 24 === 127);
    if (!loop) return bad(accepts);
  }
  return ok({ host, port });
}

export function parseAbsPath(raw: string): Parsed<string> {
  const v = raw.trim();
  if (!v.startsWith("/") || v.includes("\0")) return bad("an absolute path");
  // Keep it simple to reason about: no trailing slash (except "/" itself).
  return ok(v.length > 1 ? v.replace(/\/+$/, "") : v);
}

/**
 * Host veth names are <prefix><hash> and must fit IFNAMSIZ (15 chars); AWS caps
 * the prefix at 4 characters and refuses names that collide with real devices.
 * The rule is the plugin's too (protocol.ts): render-conflist.sh copies this
 * setting into the conflist, where the plugin checks it at every ADD.
 */
export function parseVethPrefix(raw: string): Parsed<string> {
  const v = raw.trim();
  const problem = vethPrefixProblem(v);
  return problem === undefined ? ok(v) : bad(problem);
}

/** A Kubernetes label key: optional DNS-subdomain prefix and "/", then a name of up to 63 characters. */
export function parseLabelKey(raw: string): Parsed<string> {
  const v = raw.trim();
  const accepts = "a Kubernetes label key such as topology.kubernetes.io/zone";
  const parts = v.split("/");
  if (parts.length > 2) return bad(accepts);
  const name = parts[parts.length - 1]!;
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(name)) return bad(accepts);
  if (parts.length === 2 && !isDnsSubdomain(parts[0]!)) return bad(accepts);
  return ok(v);
}

export function isDnsSubdomain(v: string): boolean {
  return v.length <= 253 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(v);
}

export function parseOneOf<T extends string>(raw: string, choices: readonly T[]): Parsed<T> {
  const v = raw.trim() as T;
  if (choices.includes(v)) return ok(v);
  return bad(`one of ${choices.join(", ")}`);
}
