// Inputs and outputs of the pool planner (./plan.ts): a pure function
//   plan(PlannerInput) -> PlanResult
// with no I/O and no clock of its own (time comes in as nowMs), so every
// decision can be tested from a table.

import type { InstanceLimits } from "../../cloud/limits/types.ts";

/** The AWS VPC CNI's warm-pool settings, with its names and semantics. */
export interface PoolSettings {
  /** WARM_ENI_TARGET (default 1): whole free ENIs to keep. Ignored when warmIpTarget or minimumIpTarget is set. */
  warmEniTarget: number;
  /** WARM_IP_TARGET: free addresses to keep (undefined = unset). */
  warmIpTarget: number | undefined;
  /** MINIMUM_IP_TARGET: total addresses to hold at least (undefined = unset). */
  minimumIpTarget: number | undefined;
  /** ENABLE_PREFIX_DELEGATION: hand out addresses from /28 prefixes. */
  prefixDelegation: boolean;
  /** WARM_PREFIX_TARGET (default 1 with prefix delegation): free /28 prefixes to keep. */
  warmPrefixTarget: number;
  /** MAX_ENI: caps the instance's ENI limit (undefined = no cap). */
  maxEni: number | undefined;
  /** Don't free an ENI younger than this (damps scale-down). */
  minEniAgeMs: number;
  /** At most one scale-down action per this interval. */
  scaleDownIntervalMs: number;
  /** After a subnet reports exhaustion, don't ask it again for this long. */
  subnetBackoffMs: number;
}

export type SlotState = "free" | "assigned" | "cooldown";

export interface PlannerIp {
  ip: string;
  state: SlotState;
}

export interface PlannerPrefix {
  /** e.g. "10.0.1.16/28" */
  prefix: string;
  /** Addresses of this prefix given to pods / waiting out their cooldown. */
  assigned: number;
  cooldown: number;
}

export interface PlannerEni {
  id: string;
  deviceIndex: number;
  /** The primary ENI (device 0) is never freed. */
  primary: boolean;
  subnetId: string;
  attachedAtMs: number;
  /** Secondary IPs (never the ENI's own primary address). */
  ips: PlannerIp[];
  prefixes: PlannerPrefix[];
}

export interface PlannerSubnet {
  id: string;
  securityGroupIds: string[];
  /** From DescribeSubnets when known. */
  availableIpAddressCount?: number;
  /** Set when EC2 answered subnet-full: skip the subnet until then. */
  exhaustedUntilMs?: number;
}

export interface PlannerInput {
  nowMs: number;
  settings: PoolSettings;
  limits: InstanceLimits;
  enis: PlannerEni[];
  /** Where new ENIs go (custom networking: the ENIConfig's subnet). */
  subnet: PlannerSubnet;
  /** ADDs refused for lack of a free address since the last plan: pods waiting. */
  pendingDemand: number;
  /** When the last scale-down action ran (0 = never). */
  lastScaleDownMs: number;
  /**
   * false with custom networking: the primary ENI carries no pod addresses (it
   * still counts against the ENI limit). Default true.
   */
  podsOnPrimaryEni?: boolean;
  /**
   * The node's max pods (Kubernetes: the Node's status.capacity.pods, i.e.
   * kubelet's --max-pods). Growth stops once the pool holds this many pod
   * addresses, cooling ones included, as the AWS VPC CNI's
   * isDatastorePoolTooLow does (TotalIPs >= maxPods); nothing is released for
   * it. Undefined = no cap.
   */
  maxPods?: number;
  /**
   * Device indexes (network card 0) of attached ENIs that are not in `enis`:
   * tagged node.k8s.amazonaws.com/no_manage=true, or not (yet / any more) seen
   * by both IMDS and EC2. They count against the ENI limit and are never
   * chosen for a new ENI (AWS hasRoomForEni: maxENI - unmanagedENI). An index
   * also in `enis` counts once. Default none.
   */
  reservedDeviceIndexes?: readonly number[];
}

export type PlanAction =
  | { kind: "assign-ips"; eniId: string; count: number }
  | { kind: "assign-prefixes"; eniId: string; count: number }
  /** A new ENI carries its addresses in the same CreateNetworkInterface call. */
  | {
      kind: "create-eni";
      subnetId: string;
      securityGroupIds: string[];
      deviceIndex: number;
      ipCount: number;
      prefixCount: number;
    }
  | { kind: "release-ips"; eniId: string; ips: string[] }
  | { kind: "release-prefixes"; eniId: string; prefixes: string[] }
  | { kind: "delete-eni"; eniId: string };

/** Why the pool cannot reach its target; shown to users with the numbers. */
export type ShortfallCause = "instance-limit" | "max-eni" | "subnet-full" | "subnet-backoff";

export interface Shortfall {
  cause: ShortfallCause;
  /** Addresses the targets ask for that cannot be had. */
  missing: number;
  /** A sentence with numbers, e.g. "node holds 27 of its 27 pod addresses (3 ENIs x 9)". */
  message: string;
}

export interface PlanResult {
  actions: PlanAction[];
  /** Free addresses the targets ask for beyond what is held (0 when satisfied). */
  deficit: number;
  shortfall?: Shortfall;
}
