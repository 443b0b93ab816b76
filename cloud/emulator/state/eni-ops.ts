// ENI operations: create, attach, detach, delete, assign, unassign, modify.
// Validation is delegated to the pure rules; this file applies the results
// and drives the attach/detach life cycle on the world's timers.

import { addressState, pickFreeAddresses, pickFreePrefixes, type SubnetSpace } from "../rules/addresses.ts";
import { fault } from "../rules/fault.ts";
import { formatIpv4, parseCidr, parseIpv4 } from "../rules/ipv4.ts";
import {
  checkAddressRequestShape,
  checkAddSlots,
  checkAttach,
  unattachedSlotLimit,
} from "../rules/limits.ts";
import type { AttachmentRec, EniRec, Tags } from "./model.ts";
import { dataPlaneEni, prefixText } from "./views.ts";
import type { World } from "./world.ts";

export interface AddressRequest {
  /** SecondaryPrivateIpAddressCount */
  ipCount?: number;
  /** PrivateIpAddress.N */
  ips?: string[];
  /** Ipv4PrefixCount */
  prefixCount?: number;
}

/** Explicit addresses: in the subnet, not reserved, not in use, no duplicates. */
function claimExplicit(space: SubnetSpace, texts: string[]): number[] {
  const ips = texts.map(parseIpv4);
  if (new Set(ips).size !== ips.length)
    throw fault("InvalidParameterValue", "Duplicate private IP addresses in the request.");
  for (const [i, ip] of ips.entries()) {
    const state = addressState(space, ip);
    if (state === "outside") {
      throw fault(
        "InvalidParameterValue",
        `Address ${texts[i]} does not fall within the subnet's address range`,
      );
    }
    if (state === "reserved")
      throw fault("InvalidParameterValue", `Address ${texts[i]} is in subnet's reserved address range`);
    if (state === "in-use") throw fault("InvalidIPAddress.InUse", `Address ${texts[i]} is in use.`);
  }
  return ips;
}

function pickAddresses(space: SubnetSpace, count: number): number[] {
  const ips = pickFreeAddresses(space, count);
  if (!ips) {
    throw fault(
      "InsufficientFreeAddressesInSubnet",
      "The specified subnet does not have enough free addresses to satisfy the request.",
    );
  }
  return ips;
}

function pickPrefixes(space: SubnetSpace, count: number): number[] {
  const prefixes = pickFreePrefixes(space, count);
  if (!prefixes) {
    throw fault(
      "InsufficientCidrBlocks",
      "The specified subnet does not have enough free cidr blocks to satisfy the request.",
    );
  }
  return prefixes;
}

/** The slot check that applies to an ENI now: its instance type's when attached, else the global cap. */
function checkSlots(world: World, eni: EniRec, add: { secondaryCount: number; prefixCount: number }): void {
  const current = { secondaryCount: eni.secondaryIps.length, prefixCount: eni.prefixes.length };
  if (eni.attachment) {
    const type = world.instance(eni.attachment.instanceId).type;
    const f = checkAddSlots(type, eni.id, current, add);
    if (f) throw f;
    return;
  }
  // Unattached: AWS only caps at the largest per-ENI limit; attach checks the instance type.
  const limit = unattachedSlotLimit(Object.values(world.config.instanceTypes));
  const f = checkAddSlots(
    { instanceType: "(not attached)", ipv4PerEni: limit, hypervisor: "nitro" },
    eni.id,
    current,
    add,
  );
  if (f) throw f;
}

export function createEni(
  world: World,
  input: AddressRequest & {
    subnetId: string;
    primaryIp?: string;
    securityGroupIds?: string[];
    description?: string;
    tags?: Tags;
  },
): EniRec {
  const subnet = world.subnet(input.subnetId);
  const vpc = world.vpc(subnet.vpcId);
  const shape = checkAddressRequestShape({
    ipCount: input.ipCount,
    explicitIps: input.ips?.length ?? 0,
    prefixCount: input.prefixCount,
  });
  if (shape) throw shape;
  const eni: EniRec = {
    id: "",
    subnetId: subnet.id,
    vpcId: vpc.id,
    availabilityZone: subnet.availabilityZone,
    mac: "",
    description: input.description ?? "",
    primaryIp: 0,
    secondaryIps: [],
    prefixes: [],
    securityGroupIds: input.securityGroupIds?.length ? input.securityGroupIds : [vpc.defaultSecurityGroupId],
    sourceDestCheck: true,
    tags: input.tags ?? new Map(),
    attachment: undefined,
  };
  const explicit = input.ips ?? [];
  checkSlots(world, eni, {
    secondaryCount: (input.ipCount ?? 0) + explicit.length,
    prefixCount: input.prefixCount ?? 0,
  });
  // Everything is validated and picked before anything is claimed: all or nothing.
  const primary = input.primaryIp ? claimExplicit(subnet, [input.primaryIp]) : pickAddresses(subnet, 1);
  const claimed = new Set(primary);
  const view: SubnetSpace = {
    cidr: subnet.cidr,
    used: new Set([...subnet.used, ...claimed]),
    prefixes: subnet.prefixes,
  };
  const secondaries =
    explicit.length > 0 ? claimExplicit(view, explicit) : pickAddresses(view, input.ipCount ?? 0);
  const view2: SubnetSpace = { ...view, used: new Set([...view.used, ...secondaries]) };
  const prefixes = pickPrefixes(view2, input.prefixCount ?? 0);
  eni.id = world.ids.next("eni");
  eni.mac = world.ids.mac();
  eni.primaryIp = primary[0]!;
  eni.secondaryIps = secondaries;
  eni.prefixes = prefixes;
  for (const ip of [eni.primaryIp, ...secondaries]) subnet.used.add(ip);
  for (const p of prefixes) subnet.prefixes.add(p);
  world.enis.set(eni.id, eni);
  return eni;
}

export function attachEni(
  world: World,
  input: { eniId: string; instanceId: string; deviceIndex: number; networkCardIndex?: number },
): { attachmentId: string; networkCardIndex: number } {
  const eni = world.eni(input.eniId);
  const inst = world.instance(input.instanceId);
  if (inst.state !== "running" && inst.state !== "pending") {
    throw fault(
      "IncorrectInstanceState",
      `The instance '${inst.id}' is not in a valid state for this operation (${inst.state}).`,
    );
  }
  if (eni.attachment) throw fault("InvalidParameterValue", `Interface: [${eni.id}] in use.`);
  const networkCardIndex = input.networkCardIndex ?? inst.type.defaultNetworkCardIndex;
  const f = checkAttach(inst.type, {
    instanceId: inst.id,
    instanceAz: inst.availabilityZone,
    eniId: eni.id,
    eniAz: eni.availabilityZone,
    deviceIndex: input.deviceIndex,
    networkCardIndex,
    existing: world.enisOf(inst.id).map((e) => e.attachment!),
    eniSlots: { secondaryCount: eni.secondaryIps.length, prefixCount: eni.prefixes.length },
  });
  if (f) throw f;
  const attachment: AttachmentRec = {
    id: world.ids.next("eni-attach"),
    instanceId: inst.id,
    deviceIndex: input.deviceIndex,
    networkCardIndex,
    status: "attaching",
    deleteOnTermination: false,
    attachTime: new Date(),
  };
  eni.attachment = attachment;
  world.later(world.config.attachDelayMs(), async () => {
    // Only if nothing (detach, terminate) overtook the attachment meanwhile.
    if (!stillAttaching(world, eni, attachment)) return;
    await world.bridge.attached(dataPlaneEni(world, eni));
    if (stillAttaching(world, eni, attachment)) attachment.status = "attached";
  });
  return { attachmentId: attachment.id, networkCardIndex };
}

function stillAttaching(world: World, eni: EniRec, a: AttachmentRec): boolean {
  return world.enis.has(eni.id) && eni.attachment === a && a.status === "attaching";
}

export function detachEni(world: World, input: { attachmentId: string; force?: boolean }): void {
  const eni = world.eniByAttachment(input.attachmentId);
  const a = eni.attachment!;
  if (a.deviceIndex === 0 && a.networkCardIndex === 0) {
    throw fault("OperationNotPermitted", `The network interface at device index 0 cannot be detached.`);
  }
  if (a.status === "detaching") {
    if (!input.force) throw fault("IncorrectState", `Attachment '${a.id}' is already detaching.`);
    return;
  }
  a.status = "detaching";
  world.later(world.config.detachDelayMs(), async () => {
    if (eni.attachment !== a) return;
    await world.bridge.detached(a.instanceId, eni.id);
    if (eni.attachment === a) eni.attachment = undefined;
  });
}

export function deleteEni(world: World, eniId: string): void {
  const eni = world.eni(eniId);
  if (eni.attachment) {
    throw fault("InvalidNetworkInterface.InUse", `The network interface '${eni.id}' is currently in use.`);
  }
  world.removeEni(eni);
}

async function notifyAddresses(world: World, eni: EniRec): Promise<void> {
  if (eni.attachment?.status === "attached") await world.bridge.addressesChanged(dataPlaneEni(world, eni));
}

/** AssignPrivateIpAddresses: answers with only what this call added (as AWS). */
export async function assignAddresses(
  world: World,
  eniId: string,
  req: AddressRequest,
): Promise<{ ips: string[]; prefixes: string[] }> {
  const eni = world.eni(eniId);
  const shape = checkAddressRequestShape({
    ipCount: req.ipCount,
    explicitIps: req.ips?.length ?? 0,
    prefixCount: req.prefixCount,
  });
  if (shape) throw shape;
  const explicit = req.ips ?? [];
  const secondaryCount = (req.ipCount ?? 0) + explicit.length;
  if (secondaryCount === 0 && (req.prefixCount ?? 0) === 0) {
    throw fault(
      "MissingParameter",
      "Either 'secondaryPrivateIpAddressCount', 'privateIpAddress' or 'ipv4PrefixCount' must be specified.",
    );
  }
  checkSlots(world, eni, { secondaryCount, prefixCount: req.prefixCount ?? 0 });
  const subnet = world.subnet(eni.subnetId);
  const ips = explicit.length > 0 ? claimExplicit(subnet, explicit) : pickAddresses(subnet, req.ipCount ?? 0);
  const prefixes = pickPrefixes(subnet, req.prefixCount ?? 0);
  for (const ip of ips) subnet.used.add(ip);
  for (const p of prefixes) subnet.prefixes.add(p);
  eni.secondaryIps.push(...ips);
  eni.prefixes.push(...prefixes);
  await notifyAddresses(world, eni);
  return { ips: ips.map(formatIpv4), prefixes: prefixes.map(prefixText) };
}

export async function unassignAddresses(
  world: World,
  eniId: string,
  req: { ips: string[]; prefixes: string[] },
): Promise<void> {
  const eni = world.eni(eniId);
  if (req.ips.length === 0 && req.prefixes.length === 0) {
    throw fault("MissingParameter", "Either 'privateIpAddress' or 'ipv4Prefix' must be specified.");
  }
  const ips = req.ips.map(parseIpv4);
  for (const [i, ip] of ips.entries()) {
    if (ip === eni.primaryIp) {
      throw fault(
        "InvalidParameterValue",
        `The primary private IP address ${req.ips[i]} of ${eni.id} cannot be unassigned.`,
      );
    }
    if (!eni.secondaryIps.includes(ip)) {
      throw fault(
        "InvalidParameterValue",
        `Some of the specified addresses are not assigned to interface ${eni.id}`,
      );
    }
  }
  const prefixes = req.prefixes.map((p) => parseCidr(p).base);
  for (const [i, p] of prefixes.entries()) {
    if (!eni.prefixes.includes(p) || !req.prefixes[i]!.endsWith("/28")) {
      throw fault(
        "InvalidParameterValue",
        `Some of the specified prefixes are not assigned to interface ${eni.id}: ${req.prefixes[i]}`,
      );
    }
  }
  const subnet = world.subnet(eni.subnetId);
  eni.secondaryIps = eni.secondaryIps.filter((ip) => !ips.includes(ip));
  eni.prefixes = eni.prefixes.filter((p) => !prefixes.includes(p));
  for (const ip of ips) subnet.used.delete(ip);
  for (const p of prefixes) subnet.prefixes.delete(p);
  await notifyAddresses(world, eni);
}

export function modifyEni(
  world: World,
  eniId: string,
  change: {
    attachment?: { attachmentId: string; deleteOnTermination: boolean };
    description?: string;
    securityGroupIds?: string[];
    sourceDestCheck?: boolean;
  },
): void {
  const eni = world.eni(eniId);
  if (change.attachment) {
    if (eni.attachment?.id !== change.attachment.attachmentId) {
      throw fault(
        "InvalidAttachmentID.NotFound",
        `The attachment ID '${change.attachment.attachmentId}' does not exist for ${eni.id}`,
      );
    }
  }
  if (change.attachment) eni.attachment!.deleteOnTermination = change.attachment.deleteOnTermination;
  if (change.description !== undefined) eni.description = change.description;
  if (change.securityGroupIds?.length) eni.securityGroupIds = change.securityGroupIds;
  if (change.sourceDestCheck !== undefined) eni.sourceDestCheck = change.sourceDestCheck;
}
