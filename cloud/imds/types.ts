// What ipamd reads from the instance metadata service (IMDSv2).

export interface InstanceIdentity {
  instanceId: string;
  instanceType: string;
  availabilityZone: string;
  region: string;
  /** MAC of the primary ENI (device index 0). */
  primaryMac: string;
}

/** One ENI as network/interfaces/macs/<mac>/ shows it. */
export interface ImdsEni {
  mac: string;
  deviceNumber: number;
  networkCard: number;
  interfaceId: string;
  subnetId: string;
  subnetCidr: string;
  /** local-ipv4s: the primary first, then secondaries. */
  localIpv4s: string[];
  /** ipv4-prefix: delegated /28 prefixes ([] when none). */
  ipv4Prefixes: string[];
  securityGroupIds: string[];
  vpcCidrs: string[];
}

export interface ImdsApi {
  identity(): Promise<InstanceIdentity>;
  enis(): Promise<ImdsEni[]>;
}
