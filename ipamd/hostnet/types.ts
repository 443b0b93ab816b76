// Host networking done by ipamd with netlink: per-pod plumbing (inside the
// pod's namespace and on the host side), per-ENI policy routing, and SNAT.
// Implementations live beside this file; errors are HostnetError values.

export interface PodNetworkSpec {
  /** CNI_NETNS path (e.g. /var/run/netns/<name> or /proc/<pid>/ns/net). */
  netnsPath: string;
  /** CNI_IFNAME inside the pod, usually eth0. */
  ifName: string;
  /** Host-side veth name, from hostVethName() (stable hash of namespace/pod). */
  hostVethName: string;
  podIp: string;
  mtu: number;
  /**
   * Route table of the ENI that owns podIp (device number + 1). Undefined for
   * the primary ENI: its pods' replies use the main table, so no from-rule.
   */
  eniTable?: number;
  /**
   * Only with eniTable. When set (on-node SNAT, the default), the from-rule is
   * installed once per CIDR as `from podIp to <cidr> lookup <eniTable>`, with the
   * VPC CIDRs here, so traffic leaving the VPC falls through to the main table,
   * leaves by the primary ENI and gets SNATed to its IP (as the AWS VPC CNI does).
   * Undefined (external SNAT): one `from podIp lookup <eniTable>` for everything.
   */
  eniTableDestinations?: string[];
}

export interface PodLinks {
  hostInterface: { name: string; mac: string };
  podInterface: { name: string; mac: string; sandbox: string };
}

export type HostnetErrorKind =
  /** The interface already exists in the pod namespace (CNI: ADD must fail). */
  | "exists"
  /** The namespace path does not exist or is not a network namespace. */
  | "no-netns"
  /** The kernel refused (EPERM, EINVAL, ...). */
  | "netlink"
  /** Bad input (malformed IP, interface name, MTU, ...), rejected before anything changed. */
  | "invalid"
  | "iptables";

export class HostnetError extends Error {
  readonly kind: HostnetErrorKind;
  /** errno name when the kernel gave one (EEXIST, ENOENT, ...). */
  readonly errno: string | undefined;
  constructor(kind: HostnetErrorKind, message: string, errno?: string) {
    super(message);
    this.name = "HostnetError";
    this.kind = kind;
    this.errno = errno;
  }
}

/** One thing CHECK found wrong, in words a person can act on. */
export interface CheckProblem {
  what: "interface" | "address" | "route" | "rule" | "neighbour" | "host-veth";
  message: string;
}

export interface PodPlumbing {
  /**
   * Throws a HostnetError when `netnsPath` is not a pod's network namespace
   * (missing, a directory, the node's own). Cheap: ADD calls it before an
   * address is assigned, so a bad namespace is refused at once, not after a
   * wait for the pool.
   */
  checkNamespace(netnsPath: string): void;
  /** All or nothing: on failure everything created so far is removed before the error is thrown. */
  add(spec: PodNetworkSpec): Promise<PodLinks>;
  /** Idempotent; succeeds when the namespace or the veth is already gone. */
  del(spec: PodNetworkSpec): Promise<void>;
  /** Empty when the pod's networking is as ADD left it. */
  check(spec: PodNetworkSpec): Promise<CheckProblem[]>;
  /**
   * Resolves once every interface an earlier del() took out of service is
   * really deleted (del() may answer before the kernel finished). Shutdown calls it.
   */
  drain?(): Promise<void>;
}

/** A secondary ENI's interface on the host, set up by setupEni(). */
export interface EniLinkSpec {
  mac: string;
  deviceNumber: number;
  mtu: number;
  /** The ENI's primary private IP and its subnet. */
  primaryIp: string;
  subnetCidr: string;
  subnetGateway: string;
}
