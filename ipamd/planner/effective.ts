// The pool settings ipamd really plans with on this instance, from the
// configured ones and the instance's limits. Pure.
//
// ENABLE_PREFIX_DELEGATION=true on an instance without /28 prefix support
// (not Nitro): the AWS VPC CNI logs a warning and falls back to secondary IPs
// (ipamd.go isConfigValid) instead of refusing to start, so an aws-node
// configuration shared by mixed node groups keeps working; the same here.
// Every target then has its secondary-IP meaning (WARM_ENI_TARGET, or
// WARM_IP_TARGET / MINIMUM_IP_TARGET); WARM_PREFIX_TARGET is ignored.

import type { InstanceLimits } from "../../cloud/limits/types.ts";
import type { PoolSettings } from "./types.ts";

export interface EffectiveSettings {
  settings: PoolSettings;
  /** Set when a setting could not be honoured here: log it once, as a warning. */
  warning?: string;
}

export function effectivePoolSettings(s: PoolSettings, limits: InstanceLimits): EffectiveSettings {
  if (s.prefixDelegation && !limits.prefixDelegation) {
    const kind = limits.bareMetal ? `${limits.hypervisor} bare metal` : limits.hypervisor;
    return {
      settings: { ...s, prefixDelegation: false },
      warning:
        `ENABLE_PREFIX_DELEGATION=true, but ${limits.instanceType} (${kind}) has no /28 prefix delegation ` +
        "(Nitro instances only): using secondary IPs instead, as the AWS VPC CNI does; " +
        "WARM_PREFIX_TARGET is ignored on this node",
    };
  }
  return { settings: s };
}
