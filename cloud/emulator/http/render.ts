// EC2 resources as the EC2 Query API renders them (element names from the
// EC2 2016-11-15 wire format, checked by parsing through @aws-sdk/client-ec2).

import type { InstanceTypeInfo } from "../../ec2/types.ts";
import { availableAddressCount } from "../rules/addresses.ts";
import { formatCidr, formatIpv4 } from "../rules/ipv4.ts";
import { type EniRec, eniStatus, type InstanceRec, type SubnetRec, type VpcRec } from "../state/model.ts";
import { prefixText } from "../state/views.ts";
import type { World } from "../state/world.ts";
import { el, node, set, tagSet } from "./xml.ts";

const STATE_CODES: Record<InstanceRec["state"], number> = {
  pending: 0,
  running: 16,
  "shutting-down": 32,
  terminated: 48,
};

function groupSet(ids: readonly string[]): string {
  return set(
    "groupSet",
    ids.map(
      (id) => el("groupId", id) + el("groupName", id.startsWith("sg-") ? `group-${id.slice(3, 11)}` : id),
    ),
  );
}

/** The body of one networkInterfaceSet item (DescribeNetworkInterfaces, CreateNetworkInterface). */
export function eniXml(world: World, eni: EniRec, inInstance = false): string {
  const a = eni.attachment;
  const addresses = [
    el("privateIpAddress", formatIpv4(eni.primaryIp)) + el("primary", true),
    ...eni.secondaryIps.map((ip) => el("privateIpAddress", formatIpv4(ip)) + el("primary", false)),
  ];
  const attachment = a
    ? node(
        "attachment",
        el("attachmentId", a.id),
        inInstance ? "" : el("instanceId", a.instanceId) + el("instanceOwnerId", world.config.accountId),
        el("deviceIndex", a.deviceIndex),
        el("networkCardIndex", a.networkCardIndex),
        el("status", a.status),
        el("attachTime", a.attachTime.toISOString()),
        el("deleteOnTermination", a.deleteOnTermination),
      )
    : "";
  return [
    el("networkInterfaceId", eni.id),
    el("subnetId", eni.subnetId),
    el("vpcId", eni.vpcId),
    inInstance ? "" : el("availabilityZone", eni.availabilityZone),
    el("description", eni.description),
    el("ownerId", world.config.accountId),
    inInstance ? "" : el("requesterManaged", false),
    el("status", eniStatus(eni)),
    el("macAddress", eni.mac),
    el("privateIpAddress", formatIpv4(eni.primaryIp)),
    el("sourceDestCheck", eni.sourceDestCheck),
    groupSet(eni.securityGroupIds),
    attachment,
    inInstance ? "" : tagSet(eni.tags),
    set("privateIpAddressesSet", addresses),
    set(
      "ipv4PrefixSet",
      eni.prefixes.map((p) => el("ipv4Prefix", prefixText(p))),
    ),
    el("interfaceType", "interface"),
  ].join("");
}

export function instanceXml(world: World, inst: InstanceRec): string {
  const live = inst.state !== "terminated";
  return [
    el("instanceId", inst.id),
    el("imageId", inst.imageId),
    node("instanceState", el("code", STATE_CODES[inst.state]), el("name", inst.state)),
    el("privateDnsName", live ? `ip-${formatIpv4(inst.primaryIp).replace(/\./g, "-")}.ec2.internal` : ""),
    el("amiLaunchIndex", 0),
    el("instanceType", inst.type.instanceType),
    el("launchTime", inst.launchTime.toISOString()),
    node("placement", el("availabilityZone", inst.availabilityZone), el("tenancy", "default")),
    live ? el("subnetId", inst.subnetId) + el("vpcId", inst.vpcId) : "",
    live ? el("privateIpAddress", formatIpv4(inst.primaryIp)) : "",
    el("architecture", "x86_64"),
    // DescribeInstances says "xen" for Nitro instances too (DescribeInstanceTypes tells them apart).
    el("hypervisor", "xen"),
    set(
      "networkInterfaceSet",
      world.enisOf(inst.id).map((e) => eniXml(world, e, true)),
    ),
    tagSet(inst.tags),
  ].join("");
}

export function subnetXml(s: SubnetRec): string {
  return [
    el("subnetId", s.id),
    el("subnetArn", `arn:aws:ec2:${s.availabilityZone.slice(0, -1)}:000000000000:subnet/${s.id}`),
    el("state", "available"),
    el("vpcId", s.vpcId),
    el("cidrBlock", formatCidr(s.cidr)),
    el("availableIpAddressCount", availableAddressCount(s)),
    el("availabilityZone", s.availabilityZone),
    el("defaultForAz", false),
    el("mapPublicIpOnLaunch", false),
    tagSet(s.tags),
  ].join("");
}

export function vpcXml(v: VpcRec): string {
  return [
    el("vpcId", v.id),
    el("state", "available"),
    el("cidrBlock", formatCidr(v.cidr)),
    set("cidrBlockAssociationSet", [
      el("associationId", `vpc-cidr-assoc-${v.id.slice(4)}`) +
        el("cidrBlock", formatCidr(v.cidr)) +
        node("cidrBlockState", el("state", "associated")),
    ]),
    el("instanceTenancy", "default"),
    el("isDefault", false),
    tagSet(v.tags),
  ].join("");
}

export function instanceTypeXml(t: InstanceTypeInfo): string {
  return [
    el("instanceType", t.instanceType),
    el("currentGeneration", true),
    el("bareMetal", t.bareMetal),
    el("hypervisor", t.hypervisor === "none" ? undefined : t.hypervisor),
    node(
      "networkInfo",
      el("maximumNetworkInterfaces", t.maxEnis),
      el("ipv4AddressesPerInterface", t.ipv4PerEni),
      el("ipv6AddressesPerInterface", t.ipv4PerEni),
      el("ipv6Supported", true),
      el("maximumNetworkCards", t.networkCards.length),
      el("defaultNetworkCardIndex", t.defaultNetworkCardIndex),
      set(
        "networkCards",
        t.networkCards.map(
          (c) => el("networkCardIndex", c.index) + el("maximumNetworkInterfaces", c.maxEnis),
        ),
      ),
    ),
  ].join("");
}
