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
  /** Every attached ENI: one GET for the MAC listing plus ~10 per ENI. */
  enis(): Promise<ImdsEni[]>;
  /**
   * One ENI by MAC, undefined while IMDS does not list it (or lists it without
   * all of its entries yet): one GET (the MAC listing) until it shows, then its
   * own details. What a wait for a new attachment polls, instead of enis()
   * (~50 GETs per poll on a 5-ENI node).
   */
  eni(mac: string): Promise<ImdsEni | undefined>;
}
