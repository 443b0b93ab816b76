// SDK shapes -> the plain data of ./types.ts, and EniFilter -> EC2 filters.
// Pure. Missing fields become "" / [] rather than exceptions: emulators
// (moto) leave out fields that real EC2 always sends, and ipamd can cope
// with an empty description but not with a crash in the facade.

import type {
  Filter,
  InstanceNetworkInterface,
  NetworkInterface as SdkEni,
  Instance as SdkInstance,
  InstanceTypeInfo as SdkInstanceTypeInfo,
  Subnet as SdkSubnet,
  Tag,
} from "@aws-sdk/client-ec2";
import type {
  AttachmentStatus,
  EniFilter,
  EniStatus,
  Instance,
  InstanceTypeInfo,
  NetworkInterface,
  Subnet,
} from "./types.ts";

export function tagsToRecord(tags: Tag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

export function recordToTags(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

const ENI_STATUSES = new Set<string>(["available", "attaching", "in-use", "detaching", "associated"]);
const ATTACHMENT_STATUSES = new Set<string>(["attaching", "attached", "detaching", "detached"]);

function eniStatus(s: string | undefined): EniStatus {
  return s !== undefined && ENI_STATUSES.has(s) ? (s as EniStatus) : "available";
}
function attachmentStatus(s: string | undefined): AttachmentStatus {
  return s !== undefined && ATTACHMENT_STATUSES.has(s) ? (s as AttachmentStatus) : "attached";
}

type SdkIpList = { PrivateIpAddress?: string | undefined; Primary?: boolean | undefined }[] | undefined;

function splitIps(list: SdkIpList, primaryHint: string | undefined) {
  let primaryIp = primaryHint ?? "";
  const secondaryIps: string[] = [];
  for (const a of list ?? []) {
    if (a.PrivateIpAddress === undefined) continue;
    if (a.Primary === true) primaryIp = a.PrivateIpAddress;
  }
  for (const a of list ?? []) {
    if (a.PrivateIpAddress !== undefined && a.PrivateIpAddress !== primaryIp)
      secondaryIps.push(a.PrivateIpAddress);
  }
  return { primaryIp, secondaryIps };
}

export function fromSdkEni(e: SdkEni): NetworkInterface {
  const eni: NetworkInterface = {
    id: e.NetworkInterfaceId ?? "",
    subnetId: e.SubnetId ?? "",
    vpcId: e.VpcId ?? "",
    availabilityZone: e.AvailabilityZone ?? "",
    macAddress: e.MacAddress ?? "",
    status: eniStatus(e.Status),
    description: e.Description ?? "",
    ...splitIps(e.PrivateIpAddresses, e.PrivateIpAddress),
    prefixes: (e.Ipv4Prefixes ?? []).flatMap((p) => (p.Ipv4Prefix === undefined ? [] : [p.Ipv4Prefix])),
    securityGroupIds: (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId])),
    tags: tagsToRecord(e.TagSet),
  };
  const a = e.Attachment;
  if (a?.AttachmentId !== undefined) {
    eni.attachment = {
      attachmentId: a.AttachmentId,
      instanceId: a.InstanceId ?? "",
      deviceIndex: a.DeviceIndex ?? 0,
      networkCardIndex: a.NetworkCardIndex ?? 0,
      status: attachmentStatus(a.Status),
      deleteOnTermination: a.DeleteOnTermination ?? false,
    };
  }
  return eni;
}

/** DescribeInstances nests a different ENI shape: no AZ and no instance id on the attachment. */
function fromInstanceEni(e: InstanceNetworkInterface, instanceId: string, az: string): NetworkInterface {
  const eni: NetworkInterface = {
    id: e.NetworkInterfaceId ?? "",
    subnetId: e.SubnetId ?? "",
    vpcId: e.VpcId ?? "",
    availabilityZone: az,
    macAddress: e.MacAddress ?? "",
    status: eniStatus(e.Status),
    description: e.Description ?? "",
    ...splitIps(e.PrivateIpAddresses, e.PrivateIpAddress),
    prefixes: (e.Ipv4Prefixes ?? []).flatMap((p) => (p.Ipv4Prefix === undefined ? [] : [p.Ipv4Prefix])),
    securityGroupIds: (e.Groups ?? []).flatMap((g) => (g.GroupId === undefined ? [] : [g.GroupId])),
    tags: {},
  };
  const a = e.Attachment;
  if (a?.AttachmentId !== undefined) {
    eni.attachment = {
      attachmentId: a.AttachmentId,
      instanceId,
      deviceIndex: a.DeviceIndex ?? 0,
      networkCardIndex: a.NetworkCardIndex ?? 0,
      status: attachmentStatus(a.Status),
      deleteOnTermination: a.DeleteOnTermination ?? false,
    };
  }
  return eni;
}

const INSTANCE_STATES = new Set(["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]);

export function fromSdkInstance(i: SdkInstance): Instance {
  const id = i.InstanceId ?? "";
  const az = i.Placement?.AvailabilityZone ?? "";
  const state = i.State?.Name;
  return {
    id,
    instanceType: i.InstanceType ?? "",
    availabilityZone: az,
    subnetId: i.SubnetId ?? "",
    vpcId: i.VpcId ?? "",
    privateIp: i.PrivateIpAddress ?? "",
    state: state !== undefined && INSTANCE_STATES.has(state) ? (state as Instance["state"]) : "running",
    networkInterfaces: (i.NetworkInterfaces ?? [])
      .map((e) => fromInstanceEni(e, id, az))
      .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0)),
    tags: tagsToRecord(i.Tags),
  };
}

export function fromSdkSubnet(s: SdkSubnet): Subnet {
  return {
    id: s.SubnetId ?? "",
    vpcId: s.VpcId ?? "",
    cidr: s.CidrBlock ?? "",
    availabilityZone: s.AvailabilityZone ?? "",
    availableIpAddressCount: s.AvailableIpAddressCount ?? 0,
    tags: tagsToRecord(s.Tags),
  };
}

export function fromSdkInstanceType(t: SdkInstanceTypeInfo): InstanceTypeInfo {
  const n = t.NetworkInfo;
  const maxEnis = n?.MaximumNetworkInterfaces ?? 0;
  const cards = (n?.NetworkCards ?? []).map((c) => ({
    index: c.NetworkCardIndex ?? 0,
    maxEnis: c.MaximumNetworkInterfaces ?? 0,
  }));
  return {
    instanceType: t.InstanceType ?? "",
    maxEnis,
    ipv4PerEni: n?.Ipv4AddressesPerInterface ?? 0,
    // Older answers (and moto) have no NetworkCards: one card holding every ENI.
    networkCards: cards.length > 0 ? cards : [{ index: 0, maxEnis }],
    defaultNetworkCardIndex: n?.DefaultNetworkCardIndex ?? 0,
    // Bare-metal types report no hypervisor at all.
    hypervisor: t.Hypervisor === "nitro" || t.Hypervisor === "xen" ? t.Hypervisor : "none",
    bareMetal: t.BareMetal ?? false,
  };
}

/** EniFilter -> EC2 Filters; an empty list means "unfiltered" (the smaller throttle bucket). */
export function eniFilters(f: EniFilter): Filter[] {
  const out: Filter[] = [];
  if (f.instanceId !== undefined) out.push({ Name: "attachment.instance-id", Values: [f.instanceId] });
  if (f.status !== undefined) out.push({ Name: "status", Values: [f.status] });
  if (f.subnetId !== undefined) out.push({ Name: "subnet-id", Values: [f.subnetId] });
  for (const [k, v] of Object.entries(f.tags ?? {})) {
    out.push(v === "*" ? { Name: "tag-key", Values: [k] } : { Name: `tag:${k}`, Values: [v] });
  }
  return out;
}
