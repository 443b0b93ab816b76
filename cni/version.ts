// CNI spec versions this plugin speaks, and which verbs each allows.
// The result of ADD is printed in the version the network configuration asks
// for (the runtime parses it with that version's types).
import { parseSemver } from "./chars.ts";
import { CNI_ERR, CniError } from "./errors.ts";

export const SUPPORTED_VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: CniVersion = "1.1.0";

/** Negative, zero or positive like a comparator; both must be x.y.z. */
export function compareVersions(a: string, b: string): number {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa || !pb) throw new Error(`not a version: ${pa ? b : a}`);
  for (let i = 0; i < 3; i++) {
    const d = pa[i]! - pb[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function isSupported(v: string): v is CniVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Validates the configuration's cniVersion (spec: error 1 when we cannot speak it). */
export function checkVersion(v: unknown): CniVersion {
  if (v === undefined || v === "") {
    // libcni treats a missing cniVersion as 0.1.0, which we do not speak.
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      "incompatible CNI versions",
      `config has no cniVersion (implies 0.1.0); plugin supports ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  if (typeof v !== "string" || !parseSemver(v)) {
    throw new CniError(CNI_ERR.INVALID_NETWORK_CONFIG, `invalid cniVersion ${JSON.stringify(v)}`);
  }
  if (!isSupported(v)) {
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      "incompatible CNI versions",
      `config is ${v}, plugin supports ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  return v;
}

/** CHECK exists since 0.4.0, GC and STATUS since 1.1.0 (spec; same rule as libcni's skel). */
export function requireVerbAllowed(verb: string, v: CniVersion): void {
  const since = verb === "CHECK" ? "0.4.0" : verb === "GC" || verb === "STATUS" ? "1.1.0" : undefined;
  if (since && compareVersions(v, since) < 0) {
    throw new CniError(
      CNI_ERR.INCOMPATIBLE_VERSION,
      `config version does not allow ${verb}`,
      `${verb} needs cniVersion >= ${since}, config is ${v}`,
    );
  }
}

/** 0.3.x and 0.4.0 results tag each IP with "version"; 1.0.0 dropped it. */
export function hasIpVersionField(v: CniVersion): boolean {
  return compareVersions(v, "1.0.0") < 0;
}

/** 1.1.0 added interface "mtu" and route "scope". */
export function hasInterfaceMtu(v: CniVersion): boolean {
  return compareVersions(v, "1.1.0") >= 0;
}
