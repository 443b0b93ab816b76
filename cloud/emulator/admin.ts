// In-process control of a running emulator: knobs, fast world building that
// bypasses HTTP/throttling/latency, data-plane binding, and state for
// invariant checks. The HTTP admin routes (/_emulator/...) call the same methods.

import type { Instance, NetworkInterface, Subnet } from "../ec2/types.ts";
import type { Controls, EmulatorStats } from "./controls.ts";
import type { LatencyConfig, ThrottleConfig } from "./options.ts";
import { formatCidr } from "./rules/ipv4.ts";
import { deleteEni } from "./state/eni-ops.ts";
import { checkInvariants } from "./state/invariants.ts";
import { eniStatus } from "./state/model.ts";
import { dataPlaneEni, instanceView, networkInterfaceView, subnetView } from "./state/views.ts";
import type { World } from "./state/world.ts";

export interface WorldSpec {
  vpcCidr: string;
  subnets: { cidr: string; availabilityZone?: string; name?: string }[];
  /** `subnet` is an index into `subnets`. */
  instances: { subnet: number; instanceType: string; name?: string }[];
}

export interface BuiltWorld {
  vpcId: string;
  subnetIds: string[];
  instanceIds: string[];
  /** instance id -> IMDS base URL. */
  imds: Record<string, string>;
}

export interface EmulatorState {
  vpcs: { id: string; cidr: string; tags: Record<string, string> }[];
  subnets: Subnet[];
  instances: Instance[];
  enis: NetworkInterface[];
  bindings: Record<string, string>;
  dataPlaneErrors: string[];
}

export class EmulatorAdmin {
  readonly #world: World;
  readonly #controls: Controls;
  readonly #imdsUrl: (instanceId: string) => string;

  constructor(world: World, controls: Controls, imdsUrl: (instanceId: string) => string) {
    this.#world = world;
    this.#controls = controls;
    this.#imdsUrl = imdsUrl;
  }

  setFaults(rates: Record<string, number>): void {
    this.#controls.setFaults(rates);
  }
  setLatency(latency: Partial<LatencyConfig>): void {
    this.#controls.setLatency(latency);
  }
  setTimeScale(scale: number): void {
    this.#controls.setTimeScale(scale);
  }
  /** Replaces the throttling setup (buckets start full); `false` turns it off. */
  setThrottle(cfg: ThrottleConfig): void {
    this.#controls.setThrottle(cfg);
  }
  stats(): EmulatorStats {
    return this.#controls.stats();
  }

  createVpc(cidr: string, tags: Record<string, string> = {}): string {
    return this.#world.createVpc(cidr, new Map(Object.entries(tags))).id;
  }
  createSubnet(input: {
    vpcId: string;
    cidr: string;
    availabilityZone?: string;
    tags?: Record<string, string>;
  }): string {
    return this.#world.createSubnet({ ...input, tags: new Map(Object.entries(input.tags ?? {})) }).id;
  }
  runInstance(input: { subnetId: string; instanceType: string; tags?: Record<string, string> }): string {
    const [inst] = this.#world.runInstances({
      ...input,
      count: 1,
      tags: new Map(Object.entries(input.tags ?? {})),
    });
    return inst!.id;
  }
  async terminateInstance(instanceId: string): Promise<void> {
    await this.#world.terminateInstances([instanceId]);
  }
  /** Deletes an `available` ENI (e.g. to clean up leaks in a test). */
  deleteEni(eniId: string): void {
    deleteEni(this.#world, eniId);
  }

  /** Builds a VPC, subnets and instances in one go. References and types are checked first; a bad CIDR fails midway. */
  buildWorld(spec: WorldSpec): BuiltWorld {
    for (const i of spec.instances) {
      if (!spec.subnets[i.subnet])
        throw new TypeError(`instance refers to subnet #${i.subnet}, spec has ${spec.subnets.length}`);
      if (!this.#world.config.instanceTypes[i.instanceType])
        throw new TypeError(`unknown instance type ${i.instanceType}`);
    }
    const vpcId = this.createVpc(spec.vpcCidr);
    const subnetIds = spec.subnets.map((s) =>
      this.createSubnet({
        vpcId,
        cidr: s.cidr,
        ...opt("availabilityZone", s.availabilityZone),
        tags: s.name ? { Name: s.name } : {},
      }),
    );
    const instanceIds = spec.instances.map((i) =>
      this.runInstance({
        subnetId: subnetIds[i.subnet]!,
        instanceType: i.instanceType,
        tags: i.name ? { Name: i.name } : {},
      }),
    );
    return {
      vpcId,
      subnetIds,
      instanceIds,
      imds: Object.fromEntries(instanceIds.map((id) => [id, this.#imdsUrl(id)])),
    };
  }

  /** Hands an instance to the data plane: its attached ENIs appear in `netnsName` (must exist). */
  async bindInstance(instanceId: string, netnsName: string): Promise<void> {
    const inst = this.#world.instance(instanceId);
    const enis = this.#world
      .enisOf(inst.id)
      .filter((e) => e.attachment!.status === "attached")
      .map((e) => dataPlaneEni(this.#world, e));
    await this.#world.bridge.bind(inst.id, netnsName, enis);
  }

  state(): EmulatorState {
    const w = this.#world;
    return {
      vpcs: [...w.vpcs.values()].map((v) => ({
        id: v.id,
        cidr: formatCidr(v.cidr),
        tags: Object.fromEntries(v.tags),
      })),
      subnets: [...w.subnets.values()].map(subnetView),
      instances: [...w.instances.values()].map((i) => instanceView(w, i)),
      enis: [...w.enis.values()].map(networkInterfaceView),
      bindings: w.bridge.bindings(),
      dataPlaneErrors: [...w.bridge.errors],
    };
  }

  /** Violations of the world's invariants (unique IPs per VPC, limits, allocator consistency). */
  checkInvariants(): string[] {
    return checkInvariants(this.#world);
  }

  /** Resolves once no attachment is attaching/detaching (or rejects after `timeoutMs` real ms). */
  async settle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = [...this.#world.enis.values()].filter((e) => {
        const s = eniStatus(e);
        return s === "attaching" || s === "detaching";
      });
      if (busy.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`settle: still in transition: ${busy.map((e) => e.id).join(", ")}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** The demo world behind `--world simple`: one VPC, two subnets in two AZs, two m5.large in the first. */
export const SIMPLE_WORLD: WorldSpec = {
  vpcCidr: "10.0.0.0/16",
  subnets: [
    { cidr: "10.0.0.0/20", availabilityZone: "us-east-1a", name: "simple-a" },
    { cidr: "10.0.16.0/20", availabilityZone: "us-east-1b", name: "simple-b" },
  ],
  instances: [
    { subnet: 0, instanceType: "m5.large", name: "node-1" },
    { subnet: 0, instanceType: "m5.large", name: "node-2" },
  ],
};
