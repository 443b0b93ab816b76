// Start-time check of the pool settings against the instance: a setting the
// instance cannot honour is reported once, with numbers, instead of every
// plan asking EC2 for something it will refuse. Pure.

import type { InstanceLimits } from "../../cloud/limits/types.ts";
import type { PoolSettings } from "./types.ts";

export function poolConfigProblem(
  s: PoolSettings,
  limits: InstanceLimits,
  podsOnPrimaryEni = true,
): string | undefined {
  if (s.prefixDelegation && !limits.prefixDelegation) {
    return (
      `ENABLE_PREFIX_DELEGATION=true needs a Nitro instance; ${limits.instanceType} is ` +
      `${limits.hypervisor}${limits.bareMetal ? " bare metal" : ""}: set it to false on these nodes`
    );
  }
  const enis = Math.min(limits.maxEnis, s.maxEni ?? Number.POSITIVE_INFINITY);
  if (!podsOnPrimaryEni && enis < 2) {
    return (
      `custom networking uses no address of the primary ENI, but MAX_ENI=${s.maxEni ?? "unset"} and ` +
      `${limits.instanceType}'s ${limits.maxEnis} ENIs leave ${enis}: pods could get no address`
    );
  }
  if (limits.ipv4PerEni < 2)
    return `${limits.instanceType} has ${limits.ipv4PerEni} IPv4 address per ENI: none for pods`;
  return undefined;
}
