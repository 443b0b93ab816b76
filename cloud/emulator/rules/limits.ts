// The per-instance-type network limits AWS enforces, as pure checks. Each
// returns the Ec2Fault AWS would answer with, or undefined when allowed.

import type { InstanceTypeInfo } from "../../ec2/types.ts";
import { type Ec2Fault, fault } from "./fault.ts";

/** An ENI's address slots: the primary, each secondary address, and each /28 prefix count one. */
export interface EniSlots {
  secondaryCount: number;
  prefixCount: number;
}

export function usedSlots(s: EniSlots): number {
  return 1 + s.secondaryCount + s.prefixCount;
}

/**
 * Adding addresses or prefixes to an ENI of an instance of `type`.
 * AWS refuses secondary addresses and prefixes in the same call, and prefixes
 * on instance types not built on Nitro.
 */
export function checkAddSlots(
  type: Pick<InstanceTypeInfo, "instanceType" | "ipv4PerEni" | "hypervisor">,
  eniId: string,
  current: EniSlots,
  add: EniSlots,
): Ec2Fault | undefined {
  if (add.prefixCount > 0 && type.hypervisor !== "nitro") {
    return fault(
      "UnsupportedOperation",
      `Prefix delegation is not supported for the instance type '${type.instanceType}' (not built on the Nitro System).`,
    );
  }
  const after = usedSlots(current) + add.secondaryCount + add.prefixCount;
  if (after > type.ipv4PerEni) {
    return fault(
      "PrivateIpAddressLimitExceeded",
      `Number of private addresses will exceed limit of ${type.ipv4PerEni} for network interface ${eniId} on instance type ${type.instanceType}.`,
    );
  }
  return undefined;
}

/** Exactly one of SecondaryPrivateIpAddressCount / PrivateIpAddress.N and Ipv4PrefixCount / Ipv4Prefix.N. */
export function checkAddressRequestShape(req: {
  ipCount: number | undefined;
  explicitIps: number;
  prefixCount: number | undefined;
}): Ec2Fault | undefined {
  const wantsIps = (req.ipCount ?? 0) > 0 || req.explicitIps > 0;
  const wantsPrefixes = (req.prefixCount ?? 0) > 0;
  if (req.ipCount !== undefined && req.explicitIps > 0) {
    return fault(
      "InvalidParameterCombination",
      "The parameters 'privateIpAddress' and 'secondaryPrivateIpAddressCount' cannot be used together.",
    );
  }
  if (wantsIps && wantsPrefixes) {
    return fault(
      "InvalidParameterCombination",
      "Secondary private IPv4 addresses and IPv4 prefixes cannot be assigned in the same request.",
    );
  }
  for (const [name, v] of [
    ["SecondaryPrivateIpAddressCount", req.ipCount],
    ["Ipv4PrefixCount", req.prefixCount],
  ] as const) {
    if (v !== undefined && v < 1) {
      return fault(
        "InvalidParameterValue",
        `Value (${v}) for parameter ${name} is invalid. It must be at least 1.`,
      );
    }
  }
  return undefined;
}

export interface AttachedEniView {
  deviceIndex: number;
  networkCardIndex: number;
}

export interface AttachRequest {
  instanceId: string;
  instanceAz: string;
  eniId: string;
  eniAz: string;
  deviceIndex: number;
  networkCardIndex: number;
  /** Everything attached or attaching to the instance now. */
  existing: AttachedEniView[];
  eniSlots: EniSlots;
}

export function checkAttach(type: InstanceTypeInfo, req: AttachRequest): Ec2Fault | undefined {
  if (req.instanceAz !== req.eniAz) {
    return fault(
      "InvalidParameterValue",
      `The network interface ${req.eniId} and instance ${req.instanceId} are in different availability zones (${req.eniAz}, ${req.instanceAz}).`,
    );
  }
  const card = type.networkCards.find((c) => c.index === req.networkCardIndex);
  if (!card) {
    return fault(
      "InvalidParameterValue",
      `Network card index ${req.networkCardIndex} is not valid for instance type ${type.instanceType}.`,
    );
  }
  if (req.deviceIndex < 0 || !Number.isInteger(req.deviceIndex)) {
    return fault("InvalidParameterValue", `Value (${req.deviceIndex}) for parameter deviceIndex is invalid.`);
  }
  const sameDevice = req.existing.some(
    (a) => a.deviceIndex === req.deviceIndex && a.networkCardIndex === req.networkCardIndex,
  );
  if (sameDevice) {
    return fault(
      "InvalidParameterValue",
      `Instance '${req.instanceId}' already has an interface attached at device index '${req.deviceIndex}'.`,
    );
  }
  const onCard = req.existing.filter((a) => a.networkCardIndex === req.networkCardIndex).length;
  if (onCard >= card.maxEnis || req.existing.length >= type.maxEnis) {
    return fault(
      "AttachmentLimitExceeded",
      `Interface count ${req.existing.length + 1} exceeds the limit for ${type.instanceType}`,
    );
  }
  if (req.eniSlots.prefixCount > 0 && type.hypervisor !== "nitro") {
    return fault(
      "UnsupportedOperation",
      `Network interface ${req.eniId} has IPv4 prefixes, which instance type ${type.instanceType} does not support.`,
    );
  }
  if (usedSlots(req.eniSlots) > type.ipv4PerEni) {
    return fault(
      "PrivateIpAddressLimitExceeded",
      `Network interface ${req.eniId} has ${usedSlots(req.eniSlots)} private addresses, more than the limit of ${type.ipv4PerEni} for instance type ${type.instanceType}.`,
    );
  }
  return undefined;
}

/**
 * The slot limit for an ENI that is not attached: AWS caps it at the largest
 * per-ENI limit of any instance type (the real check happens at attach time).
 */
export function unattachedSlotLimit(types: Iterable<InstanceTypeInfo>): number {
  let max = 1;
  for (const t of types) max = Math.max(max, t.ipv4PerEni);
  return max;
}
