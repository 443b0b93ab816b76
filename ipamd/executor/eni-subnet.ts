// Where new ENIs go. Pure; unit-tested in test/unit/daemon/eni-subnet.test.ts.
//  - default: the primary ENI's subnet and security groups (as the AWS VPC CNI);
//  - custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true): the node's
//    ENIConfig's subnet, with its security groups, or the primary ENI's when
//    the ENIConfig lists none (the AWS VPC CNI's rule). Pods then never get
//    addresses of the primary ENI (podsOnPrimaryEni false, set elsewhere).

import type { PlannerSubnet } from "../planner/types.ts";

export interface PrimaryEniPlacement {
  subnetId: string;
  securityGroupIds: readonly string[];
}

export interface EniConfigPlacement {
  name: string;
  subnetId: string;
  securityGroupIds: readonly string[];
}

export class CustomNetworkingError extends Error {
  override name = "CustomNetworkingError";
}

export function newEniSubnet(
  primary: PrimaryEniPlacement,
  customNetworking: boolean,
  eniConfig: EniConfigPlacement | undefined,
): PlannerSubnet {
  if (!customNetworking) return { id: primary.subnetId, securityGroupIds: [...primary.securityGroupIds] };
  if (eniConfig === undefined)
    throw new CustomNetworkingError(
      "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true but no ENIConfig was resolved for this node",
    );
  const sgs = eniConfig.securityGroupIds.length > 0 ? eniConfig.securityGroupIds : primary.securityGroupIds;
  return { id: eniConfig.subnetId, securityGroupIds: [...sgs] };
}
