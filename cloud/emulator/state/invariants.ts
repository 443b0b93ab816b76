// Cross-checks of the whole world that must hold after any sequence of calls.
// Returns human-readable violations ([] when all is well), for tests and the
// bench to assert on.

import { addressState, isReserved, PREFIX_SIZE } from "../rules/addresses.ts";
import { cidrContains, formatIpv4 } from "../rules/ipv4.ts";
import { usedSlots } from "../rules/limits.ts";
import type { World } from "./world.ts";

export function checkInvariants(world: World): string[] {
  const out: string[] = [];
  const owner = new Map<string, string>(); // "vpc/ip" -> eni
  const claim = (vpcId: string, ip: number, eniId: string) => {
    const key = `${vpcId}/${ip}`;
    const prev = owner.get(key);
    if (prev) out.push(`${formatIpv4(ip)} is held by both ${prev} and ${eniId}`);
    owner.set(key, eniId);
  };
  const expectedUsed = new Map<string, Set<number>>();
  const expectedPrefixes = new Map<string, Set<number>>();
  for (const eni of world.enis.values()) {
    const subnet = world.subnets.get(eni.subnetId);
    if (!subnet) {
      out.push(`${eni.id} is in unknown subnet ${eni.subnetId}`);
      continue;
    }
    for (const ip of [eni.primaryIp, ...eni.secondaryIps]) {
      if (!cidrContains(subnet.cidr, ip) || isReserved(subnet.cidr, ip)) {
        out.push(`${eni.id} holds ${formatIpv4(ip)}, outside ${subnet.id} or reserved`);
      }
      claim(eni.vpcId, ip, eni.id);
      expectedUsed.set(subnet.id, (expectedUsed.get(subnet.id) ?? new Set()).add(ip));
    }
    for (const p of eni.prefixes) {
      if (p % PREFIX_SIZE !== 0) out.push(`${eni.id} prefix ${formatIpv4(p)} is not /28-aligned`);
      for (let ip = p; ip < p + PREFIX_SIZE; ip++) claim(eni.vpcId, ip, eni.id);
      expectedPrefixes.set(subnet.id, (expectedPrefixes.get(subnet.id) ?? new Set()).add(p));
    }
    const a = eni.attachment;
    if (a) {
      const inst = world.instances.get(a.instanceId);
      if (!inst || inst.state === "terminated")
        out.push(`${eni.id} is attached to gone instance ${a.instanceId}`);
      else {
        const slots = usedSlots({
          secondaryCount: eni.secondaryIps.length,
          prefixCount: eni.prefixes.length,
        });
        if (slots > inst.type.ipv4PerEni) out.push(`${eni.id} uses ${slots} slots > ${inst.type.ipv4PerEni}`);
      }
    }
  }
  for (const inst of world.instances.values()) {
    const enis = world.enisOf(inst.id);
    if (enis.length > inst.type.maxEnis)
      out.push(`${inst.id} has ${enis.length} ENIs > ${inst.type.maxEnis}`);
    const devices = enis.map((e) => `${e.attachment!.networkCardIndex}/${e.attachment!.deviceIndex}`);
    if (new Set(devices).size !== devices.length)
      out.push(`${inst.id} has duplicate device indices ${devices}`);
  }
  for (const s of world.subnets.values()) {
    const used = expectedUsed.get(s.id) ?? new Set();
    const prefixes = expectedPrefixes.get(s.id) ?? new Set();
    if (used.size !== s.used.size || [...used].some((ip) => !s.used.has(ip))) {
      out.push(`${s.id} allocator disagrees with ENIs about used addresses (leak or double free)`);
    }
    if (prefixes.size !== s.prefixes.size || [...prefixes].some((p) => !s.prefixes.has(p))) {
      out.push(`${s.id} allocator disagrees with ENIs about prefixes`);
    }
    for (const ip of s.used) {
      if (addressState({ cidr: s.cidr, used: new Set(), prefixes: s.prefixes }, ip) === "in-use") {
        out.push(`${s.id}: ${formatIpv4(ip)} is both an address and inside a prefix`);
      }
    }
  }
  return out;
}
