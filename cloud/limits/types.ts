// Per-instance-type network limits, as ipamd plans with them.

export interface InstanceLimits {
  instanceType: string;
  /** Max ENIs on the network card ipamd uses (card 0 unless stated), lowered by MAX_ENI when set. */
  maxEnis: number;
  /**
   * The same card's ENI limit before MAX_ENI (what the instance type allows),
   * so a shortfall can say which of the two binds. Undefined = maxEnis.
   */
  instanceMaxEnis?: number;
  /** IPv4 addresses per ENI, the primary included. Each /28 prefix takes one slot. */
  ipv4PerEni: number;
  /** /28 prefix delegation needs the Nitro hypervisor. */
  prefixDelegation: boolean;
  hypervisor: "nitro" | "xen" | "none";
  bareMetal: boolean;
}
