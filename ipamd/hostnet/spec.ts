// Validation of PodNetworkSpec and the constants of the pod wiring. Everything
// is checked before the first netlink call, so bad input changes nothing.
import { parseCidr, parseIpv4 } from "./addr.ts";
import { isValidIfName } from "./naming.ts";
import { HostnetError, type PodNetworkSpec } from "./types.ts";

/** The pod's fake gateway: never on the wire; answered by a permanent neighbour entry (host veth MAC). */
export const POD_GATEWAY = "169.254.1.1";
/** `to <podIp> lookup main`: traffic to a local pod never follows an ENI table. */
export const TO_POD_RULE_PRIORITY = 512;
/** `from <podIp> lookup <eni table>`: replies leave through the ENI that owns the IP. */
export const FROM_POD_RULE_PRIORITY = 1536;

function bad(message: string): HostnetError {
  return new HostnetError("invalid", message, "EINVAL");
}

export function validatePodSpec(spec: PodNetworkSpec): void {
  if (typeof spec.netnsPath !== "string" || !spec.netnsPath.startsWith("/")) {
    throw bad(`netnsPath must be an absolute path, got ${JSON.stringify(spec.netnsPath)}`);
  }
  if (!isValidIfName(spec.ifName)) throw bad(`invalid ifName ${JSON.stringify(spec.ifName)}`);
  if (!isValidIfName(spec.hostVethName))
    throw bad(`invalid hostVethName ${JSON.stringify(spec.hostVethName)}`);
  parseIpv4(spec.podIp);
  if (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535) throw bad(`invalid mtu ${spec.mtu}`);
  if (spec.eniTable !== undefined) validateTable(spec.eniTable);
  if (spec.eniTableDestinations !== undefined) {
    if (spec.eniTable === undefined) throw bad("eniTableDestinations needs eniTable");
    if (spec.eniTableDestinations.length === 0) throw bad("eniTableDestinations must not be empty");
    for (const c of spec.eniTableDestinations) parseCidr(c);
  }
}

/** The from-rules ADD installs for a spec (none for the primary ENI). */
export function fromRules(
  spec: PodNetworkSpec,
): { priority: number; table: number; src: string; dst?: string }[] {
  if (spec.eniTable === undefined) return [];
  const base = { priority: FROM_POD_RULE_PRIORITY, table: spec.eniTable, src: `${spec.podIp}/32` };
  if (spec.eniTableDestinations === undefined) return [base];
  return [...new Set(spec.eniTableDestinations.map((c) => parseCidr(c).text))].map((dst) => ({
    ...base,
    dst,
  }));
}

/** Route tables we may use: not 0 (unspec) nor 253-255 (default/main/local). */
export function validateTable(table: number): void {
  if (!Number.isInteger(table) || table < 1 || table > 0xfffffffe || (table >= 253 && table <= 255)) {
    throw bad(`invalid route table ${table}`);
  }
}
