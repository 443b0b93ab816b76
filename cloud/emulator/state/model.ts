// The emulator's internal records. Mutable, owned by World; everything outside
// the state/ folder reads them through World or the snapshot functions.

import type { AttachmentStatus, InstanceTypeInfo } from "../../ec2/types.ts";
import type { Cidr } from "../rules/ipv4.ts";

export type Tags = Map<string, string>;

export interface VpcRec {
  id: string;
  cidr: Cidr;
  defaultSecurityGroupId: string;
  tags: Tags;
}

export interface SubnetRec {
  id: string;
  vpcId: string;
  cidr: Cidr;
  availabilityZone: string;
  tags: Tags;
  /** Individually assigned addresses (ENI primaries and secondaries). */
  used: Set<number>;
  /** Base addresses of delegated /28 prefixes. */
  prefixes: Set<number>;
}

export type InstanceState = "pending" | "running" | "shutting-down" | "terminated";

export interface InstanceRec {
  id: string;
  reservationId: string;
  imageId: string;
  type: InstanceTypeInfo;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  state: InstanceState;
  launchTime: Date;
  tags: Tags;
  /** The primary ENI (device index 0), kept for DescribeInstances after termination. */
  primaryEniId: string;
  primaryIp: number;
}

export interface AttachmentRec {
  id: string;
  instanceId: string;
  deviceIndex: number;
  networkCardIndex: number;
  status: AttachmentStatus;
  deleteOnTermination: boolean;
  attachTime: Date;
}

export interface EniRec {
  id: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  mac: string;
  description: string;
  primaryIp: number;
  secondaryIps: number[];
  /** Base addresses of /28 prefixes. */
  prefixes: number[];
  securityGroupIds: string[];
  sourceDestCheck: boolean;
  tags: Tags;
  attachment: AttachmentRec | undefined;
}

export type EniStatusValue = "available" | "attaching" | "in-use" | "detaching";

export function eniStatus(eni: EniRec): EniStatusValue {
  switch (eni.attachment?.status) {
    case undefined:
    case "detached":
      return "available";
    case "attaching":
      return "attaching";
    case "attached":
      return "in-use";
    case "detaching":
      return "detaching";
  }
}
