// Pure arithmetic over an instance type's network limits.

import type { InstanceTypeInfo } from "../ec2/types.ts";
import type { InstanceLimits } from "./types.ts";

/** IPv4 addresses in one delegated /28 prefix. */
export const IPS_PER_PREFIX = 16;

/** Max-pods ceilings of EKS's max-pods-calculator.sh (amazon-eks-ami). */
export const MAX_PODS_LOW_CPU = 110;
export const MAX_PODS_HIGH_CPU = 250;
/** More than this many vCPUs gets the high ceiling. */
export const HIGH_CPU_THRESHOLD = 30;

/**
 * What ipamd plans with: the ENIs of the default network card (ipamd only
 * attaches to that card), optionally lowered by MAX_ENI (the card's own limit
 * stays in instanceMaxEnis).
 */
export function instanceLimits(info: InstanceTypeInfo, opts: { maxEni?: number } = {}): InstanceLimits {
  const card = info.networkCards.find((c) => c.index === info.defaultNetworkCardIndex);
  const cardEnis = card?.maxEnis ?? info.maxEnis;
  const maxEnis = opts.maxEni !== undefined && opts.maxEni > 0 ? Math.min(opts.maxEni, cardEnis) : cardEnis;
  return {
    instanceType: info.instanceType,
    maxEnis,
    instanceMaxEnis: cardEnis,
    ipv4PerEni: info.ipv4PerEni,
    // /28 prefixes need the Nitro system; bare-metal instances are Nitro
    // hardware although DescribeInstanceTypes reports no hypervisor.
    prefixDelegation: info.hypervisor === "nitro" || info.bareMetal,
    hypervisor: info.hypervisor,
    bareMetal: info.bareMetal,
  };
}

export interface MaxPodsOptions {
  prefixDelegation: boolean;
  maxEni?: number;
  /**
   * The instance's vCPU count. When given, the result is capped the way
   * max-pods-calculator.sh caps it: 110 up to 30 vCPUs, 250 above. Without
   * it, secondary-IP mode is uncapped (the published eni-max-pods.txt values)
   * and prefix mode is capped at 110, the conservative ceiling.
   */
  cpuCap?: number;
  /** Custom networking: the primary ENI serves no pods. */
  customNetworking?: boolean;
}

/**
 * Pods a node can address, as EKS computes it:
 *   secondary IPs: ENIs x (IPs per ENI - 1) + 2
 *   prefixes:      ENIs x ((IPs per ENI - 1) x 16) + 2
 * Each ENI's primary address serves no pod; the +2 are the host-network pods
 * (aws-node, kube-proxy) that need no VPC address. Prefix mode applies only
 * where prefixes are supported (else the secondary-IP formula, as the
 * calculator does for Xen types).
 */
export function maxPods(info: InstanceTypeInfo, opts: MaxPodsOptions): number {
  const limits = instanceLimits(info, opts.maxEni !== undefined ? { maxEni: opts.maxEni } : {});
  const enis = Math.max(0, limits.maxEnis - (opts.customNetworking ? 1 : 0));
  const slots = limits.ipv4PerEni - 1;
  const prefix = opts.prefixDelegation && limits.prefixDelegation;
  const raw = enis * (prefix ? slots * IPS_PER_PREFIX : slots) + 2;
  if (opts.cpuCap !== undefined) {
    return Math.min(raw, opts.cpuCap > HIGH_CPU_THRESHOLD ? MAX_PODS_HIGH_CPU : MAX_PODS_LOW_CPU);
  }
  return prefix ? Math.min(raw, MAX_PODS_LOW_CPU) : raw;
}
