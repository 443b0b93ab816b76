// Pure invariant checks against the emulator's EC2 state: every address is
// held by at most one live pod, and each live pod's address belongs to an ENI
// attached to ITS node. Pure so test/unit/soak can show each one failing.
import type { NetworkInterface } from "../../cloud/ec2/types.ts";

export interface LivePodRef {
  name: string;
  node: string;
  ip: string;
}

function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  return (((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0) as number;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split("/");
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(base!) & mask);
}

/** Which ENI (by EC2) holds `ip` as a secondary address or inside a delegated prefix. */
export function eniHolding(enis: readonly NetworkInterface[], ip: string): NetworkInterface | undefined {
  return enis.find((e) => e.secondaryIps.includes(ip) || e.prefixes.some((p) => inCidr(ip, p)));
}

/**
 * `instanceOf` maps node name -> instance id. `excused` names pods that a
 * deliberate fault broke (their address was taken away behind ipamd's back):
 * they are skipped for ownership, never for duplicates.
 */
export function ownershipViolations(
  enis: readonly NetworkInterface[],
  pods: readonly LivePodRef[],
  instanceOf: ReadonlyMap<string, string>,
  excused: ReadonlySet<string> = new Set(),
): string[] {
  const out: string[] = [];
  const byIp = new Map<string, string>();
  for (const p of pods) {
    const other = byIp.get(p.ip);
    if (other !== undefined) out.push(`address ${p.ip} held by two live pods: ${other} and ${p.name}`);
    else byIp.set(p.ip, p.name);
    if (excused.has(p.name)) continue;
    const eni = eniHolding(enis, p.ip);
    const want = instanceOf.get(p.node);
    if (eni === undefined) out.push(`pod ${p.name} (${p.node}) has ${p.ip}, which no ENI holds in EC2`);
    else if (eni.attachment?.instanceId !== want || eni.status !== "in-use")
      out.push(
        `pod ${p.name} (${p.node}) has ${p.ip} of ${eni.id}, which is ${eni.status} on ${eni.attachment?.instanceId ?? "no instance"}, not ${want}`,
      );
  }
  return out;
}

/** Addresses seen inside pod namespaces: each must be the pod's own, and no two namespaces share one. */
export function namespaceViolations(seen: readonly { pod: string; ip: string; addrs: string[] }[]): string[] {
  const out: string[] = [];
  const owner = new Map<string, string>();
  for (const s of seen) {
    if (s.addrs.length !== 1 || s.addrs[0] !== s.ip)
      out.push(`pod ${s.pod}: eth0 has [${s.addrs.join(", ")}], ADD said ${s.ip}`);
    for (const a of s.addrs) {
      const o = owner.get(a);
      if (o !== undefined) out.push(`address ${a} configured in two pod namespaces: ${o} and ${s.pod}`);
      else owner.set(a, s.pod);
    }
  }
  return out;
}
