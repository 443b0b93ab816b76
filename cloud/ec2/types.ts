// The slice of EC2 that ipamd needs, as typed data. The facade in ./client.ts
// implements Ec2Api over @aws-sdk/client-ec2; tests may implement it with a
// fake inside a unit test. Everything here is plain data: no SDK types leak.

export type EniStatus = "available" | "attaching" | "in-use" | "detaching" | "associated";
export type AttachmentStatus = "attaching" | "attached" | "detaching" | "detached";

export interface EniAttachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  networkCardIndex: number;
  status: AttachmentStatus;
  deleteOnTermination: boolean;
}

export interface NetworkInterface {
  id: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  macAddress: string;
  status: EniStatus;
  description: string;
  /** The ENI's primary private IPv4 address. */
  primaryIp: string;
  /** Secondary private IPv4 addresses (the primary is not in this list). */
  secondaryIps: string[];
  /** Delegated IPv4 prefixes, e.g. "10.0.1.16/28". */
  prefixes: string[];
  securityGroupIds: string[];
  tags: Record<string, string>;
  attachment?: EniAttachment;
}

export interface Instance {
  id: string;
  instanceType: string;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  state: "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";
  /** ENIs attached to the instance, as DescribeInstances reports them. */
  networkInterfaces: NetworkInterface[];
  tags: Record<string, string>;
}

export interface Subnet {
  id: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  availableIpAddressCount: number;
  tags: Record<string, string>;
}

export interface InstanceTypeInfo {
  instanceType: string;
  /** Max ENIs across all network cards. */
  maxEnis: number;
  /** IPv4 addresses per ENI, the primary included. */
  ipv4PerEni: number;
  networkCards: { index: number; maxEnis: number }[];
  defaultNetworkCardIndex: number;
  hypervisor: "nitro" | "xen" | "none";
  bareMetal: boolean;
}

export interface EniFilter {
  ids?: string[];
  /** attachment.instance-id */
  instanceId?: string;
  status?: EniStatus;
  subnetId?: string;
  /** tag:<key>=<value>; a value of "*" matches any value (tag-key filter). */
  tags?: Record<string, string>;
}

export interface CreateEniInput {
  subnetId: string;
  securityGroupIds: string[];
  description: string;
  /** SecondaryPrivateIpAddressCount; mutually exclusive with prefixCount. */
  secondaryIpCount?: number;
  /** Ipv4PrefixCount (/28 prefixes); needs a Nitro instance. */
  prefixCount?: number;
  tags: Record<string, string>;
}

export interface AssignInput {
  eniId: string;
  /** SecondaryPrivateIpAddressCount */
  ipCount?: number;
  /** Ipv4PrefixCount */
  prefixCount?: number;
  /**
   * What the caller knows the ENI holds (its primary IP, secondary IPs,
   * prefixes). Given, it stands in for the DescribeNetworkInterfaces snapshot
   * the facade otherwise takes before the first assign to tell new addresses
   * from old on endpoints that answer with all of them (moto).
   */
  known?: readonly string[];
}

/** Only what this call added, even when the endpoint answers with everything the ENI holds (moto). */
export interface AssignResult {
  ips: string[];
  prefixes: string[];
}

export interface UnassignInput {
  eniId: string;
  ips?: string[];
  prefixes?: string[];
}

export interface Ec2Api {
  describeInstances(ids: string[]): Promise<Instance[]>;
  /** Follows NextToken until done (and copes with endpoints that never send one). */
  describeNetworkInterfaces(filter: EniFilter): Promise<NetworkInterface[]>;
  describeSubnets(ids: string[]): Promise<Subnet[]>;
  describeInstanceTypes(types: string[]): Promise<InstanceTypeInfo[]>;
  createNetworkInterface(input: CreateEniInput): Promise<NetworkInterface>;
  attachNetworkInterface(input: {
    eniId: string;
    instanceId: string;
    deviceIndex: number;
    networkCardIndex?: number;
  }): Promise<{ attachmentId: string; networkCardIndex: number }>;
  detachNetworkInterface(input: { attachmentId: string; force?: boolean }): Promise<void>;
  deleteNetworkInterface(eniId: string): Promise<void>;
  assignPrivateIpAddresses(input: AssignInput): Promise<AssignResult>;
  unassignPrivateIpAddresses(input: UnassignInput): Promise<void>;
  /**
   * ModifyNetworkInterfaceAttribute Attachment.DeleteOnTermination. `background`:
   * not urgent, so under throttling it backs off much longer than growth calls
   * (BACKGROUND_THROTTLE_FACTOR) and leaves the shared bucket to them.
   */
  setDeleteOnTermination(input: {
    eniId: string;
    attachmentId: string;
    value: boolean;
    background?: boolean;
  }): Promise<void>;
  createTags(resourceIds: string[], tags: Record<string, string>): Promise<void>;
}

// ---- Errors ---------------------------------------------------------------

/**
 * What the pool logic branches on. Every AWS error code maps to one kind:
 * - limit:        AttachmentLimitExceeded, PrivateIpAddressLimitExceeded (the instance is full)
 * - subnet-full:  InsufficientFreeAddressesInSubnet, InsufficientCidrBlocks
 * - throttled:    RequestLimitExceeded (after the client's own retries ran out)
 * - not-found:    InvalidNetworkInterfaceID.NotFound, InvalidInstanceID.NotFound, ...
 * - transient:    5xx, network errors, timeouts (after retries ran out)
 * - invalid:      validation / parameter errors, DryRunOperation aside; never retried
 * - unauthorized: UnauthorizedOperation, AuthFailure
 */
export type Ec2ErrorKind =
  | "limit"
  | "subnet-full"
  | "throttled"
  | "not-found"
  | "transient"
  | "invalid"
  | "unauthorized";

export class Ec2Error extends Error {
  readonly kind: Ec2ErrorKind;
  /** The AWS error code, e.g. "AttachmentLimitExceeded", or "NetworkError". */
  readonly code: string;
  readonly action: string;
  readonly httpStatus: number | undefined;
  constructor(init: {
    kind: Ec2ErrorKind;
    code: string;
    action: string;
    message: string;
    httpStatus?: number;
  }) {
    super(`${init.action}: ${init.code}: ${init.message}`);
    this.name = "Ec2Error";
    this.kind = init.kind;
    this.code = init.code;
    this.action = init.action;
    this.httpStatus = init.httpStatus;
  }
}

export function isEc2Error(e: unknown, kind?: Ec2ErrorKind): e is Ec2Error {
  return e instanceof Ec2Error && (kind === undefined || e.kind === kind);
}

/** One finished EC2 call, for metrics: reported once per logical call, retries included. */
export interface Ec2CallRecord {
  action: string;
  outcome: "ok" | Ec2ErrorKind;
  latencyMs: number;
  attempts: number;
  /** How many of the attempts were answered RequestLimitExceeded. */
  throttled: number;
}
