// Read-only views of internal records: for the data plane and for admin state
// (the latter in the project's shared plain-data shapes from cloud/ec2/types.ts).

import type { Instance, NetworkInterface, Subnet } from "../../ec2/types.ts";
import type { DataPlaneEni } from "../dataplane/types.ts";
import { availableAddressCount, PREFIX_LENGTH } from "../rules/addresses.ts";
import { formatCidr, formatIpv4 } from "../rules/ipv4.ts";
import { type EniRec, eniStatus, type InstanceRec, type SubnetRec } from "./model.ts";
import type { World } from "./world.ts";

export function prefixText(base: number): string {
  return `${formatIpv4(base)}/${PREFIX_LENGTH}`;
}

export function dataPlaneEni(world: World, eni: EniRec): DataPlaneEni {
  const subnet = world.subnet(eni.subnetId);
  if (!eni.attachment) throw new Error(`dataPlaneEni: ${eni.id} is not attached`);
  return {
    eniId: eni.id,
    mac: eni.mac,
    instanceId: eni.attachment.instanceId,
    deviceIndex: eni.attachment.deviceIndex,
    subnetId: subnet.id,
    subnetCidr: formatCidr(subnet.cidr),
    subnetGateway: formatIpv4(subnet.cidr.base + 1),
    primaryIp: formatIpv4(eni.primaryIp),
    secondaryIps: eni.secondaryIps.map(formatIpv4),
    prefixes: eni.prefixes.map(prefixText),
  };
}

export function networkInterfaceView(eni: EniRec): NetworkInterface {
  const a = eni.attachment;
  return {
    id: eni.id,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    macAddress: eni.mac,
    status: eniStatus(eni),
    description: eni.description,
    primaryIp: formatIpv4(eni.primaryIp),
    secondaryIps: eni.secondaryIps.map(formatIpv4),
    prefixes: eni.prefixes.map(prefixText),
    securityGroupIds: [...eni.securityGroupIds],
    tags: Object.fromEntries(eni.tags),
    ...(a
      ? {
          attachment: {
            attachmentId: a.id,
            instanceId: a.instanceId,
            deviceIndex: a.deviceIndex,
            networkCardIndex: a.networkCardIndex,
            status: a.status,
            deleteOnTermination: a.deleteOnTermination,
          },
        }
      : {}),
  };
}

export function instanceView(world: World, inst: InstanceRec): Instance {
  return {
    id: inst.id,
    instanceType: inst.type.instanceType,
    availabilityZone: inst.availabilityZone,
    subnetId: inst.subnetId,
    vpcId: inst.vpcId,
    privateIp: formatIpv4(inst.primaryIp),
    state: inst.state,
    networkInterfaces: world.enisOf(inst.id).map(networkInterfaceView),
    tags: Object.fromEntries(inst.tags),
  };
}

export function subnetView(s: SubnetRec): Subnet {
  return {
    id: s.id,
    vpcId: s.vpcId,
    cidr: formatCidr(s.cidr),
    availabilityZone: s.availabilityZone,
    availableIpAddressCount: availableAddressCount(s),
    tags: Object.fromEntries(s.tags),
  };
}
