// The emulator's EC2 state machine tells the VPC data plane what changed;
// the data plane mirrors it with real Linux interfaces in network namespaces.
// The state machine never waits on the data plane for correctness: hooks are
// awaited so that, when an EC2 call answers or an attachment turns "attached",
// the interfaces and routes are already there (as on AWS).

export interface DataPlaneEni {
  eniId: string;
  mac: string;
  instanceId: string;
  deviceIndex: number;
  subnetId: string;
  subnetCidr: string;
  /** First usable address of the subnet (x.x.x.1), as on AWS. */
  subnetGateway: string;
  primaryIp: string;
  secondaryIps: string[];
  /** Delegated /28 prefixes. */
  prefixes: string[];
}

export interface DataPlane {
  /**
   * Binds an instance to a network namespace that already exists. Its primary
   * ENI appears there at once, configured as the OS would (address, default
   * route via the subnet gateway); every ENI attached later appears as a bare
   * interface with the ENI's MAC, down and without addresses (ipamd's job).
   */
  bindInstance(instanceId: string, netnsName: string, enis: DataPlaneEni[]): Promise<void>;
  /** Called once the attachment is "attached" (after the attach delay). */
  eniAttached(eni: DataPlaneEni): Promise<void>;
  /** Called once the attachment is "detached"; the interface disappears. */
  eniDetached(eniId: string): Promise<void>;
  /** Secondary IPs or prefixes of an attached ENI changed: the router now delivers these to it. */
  addressesChanged(eni: DataPlaneEni): Promise<void>;
  /** Removes everything the data plane created (router namespace, veths). */
  close(): Promise<void>;
}
