// The EC2 world: VPCs, subnets, instances and their lookups, world building and
// termination. ENI operations live in eni-ops.ts, data-plane calls in
// dataplane-bridge.ts. Every rule decision is delegated to rules/.

import type { InstanceTypeInfo } from "../../ec2/types.ts";
import { pickFreeAddresses } from "../rules/addresses.ts";
import { fault } from "../rules/fault.ts";
import { cidrInside, cidrsOverlap, parseCidr } from "../rules/ipv4.ts";
import type { DataPlaneBridge } from "./dataplane-bridge.ts";
import { IdSource } from "./ids.ts";
import type { EniRec, InstanceRec, InstanceState, SubnetRec, Tags, VpcRec } from "./model.ts";

export interface WorldConfig {
  region: string;
  accountId: string;
  instanceTypes: Readonly<Record<string, InstanceTypeInfo>>;
  /** Scaled delays, read at the moment a transition starts (so admin changes apply). */
  attachDelayMs: () => number;
  detachDelayMs: () => number;
  bridge: DataPlaneBridge;
}

const AZ = /^([a-z]{2}-[a-z]+-\d)[a-z]$/;

export class World {
  readonly config: WorldConfig;
  readonly ids = new IdSource();
  readonly vpcs = new Map<string, VpcRec>();
  readonly subnets = new Map<string, SubnetRec>();
  readonly instances = new Map<string, InstanceRec>();
  readonly enis = new Map<string, EniRec>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(config: WorldConfig) {
    this.config = config;
  }

  get bridge(): DataPlaneBridge {
    return this.config.bridge;
  }

  // ---- lookups (throw AWS NotFound / Malformed codes) ----------------------

  vpc(id: string): VpcRec {
    const v = this.vpcs.get(id);
    if (!v) throw fault(idError(id, "vpc", "InvalidVpcID"), `The vpc ID '${id}' does not exist`);
    return v;
  }
  subnet(id: string): SubnetRec {
    const s = this.subnets.get(id);
    if (!s) throw fault(idError(id, "subnet", "InvalidSubnetID"), `The subnet ID '${id}' does not exist`);
    return s;
  }
  instance(id: string): InstanceRec {
    const i = this.instances.get(id);
    if (!i) throw fault(idError(id, "i", "InvalidInstanceID"), `The instance ID '${id}' does not exist`);
    return i;
  }
  eni(id: string): EniRec {
    const e = this.enis.get(id);
    if (!e) {
      throw fault(
        idError(id, "eni", "InvalidNetworkInterfaceID"),
        `The networkInterface ID '${id}' does not exist`,
      );
    }
    return e;
  }
  eniByAttachment(attachmentId: string): EniRec {
    for (const e of this.enis.values()) if (e.attachment?.id === attachmentId) return e;
    throw fault("InvalidAttachmentID.NotFound", `The attachment ID '${attachmentId}' does not exist`);
  }
  instanceType(name: string): InstanceTypeInfo {
    const t = this.config.instanceTypes[name];
    if (!t) throw fault("InvalidParameterValue", `The instance type '${name}' does not exist`);
    return t;
  }
  /** ENIs attached or attaching/detaching to an instance, by device index. */
  enisOf(instanceId: string): EniRec[] {
    return [...this.enis.values()]
      .filter((e) => e.attachment?.instanceId === instanceId)
      .sort((a, b) => a.attachment!.deviceIndex - b.attachment!.deviceIndex);
  }

  // ---- world building --------------------------------------------------------

  createVpc(cidrText: string, tags: Tags = new Map()): VpcRec {
    const cidr = parseCidr(cidrText);
    if (cidr.prefixLength < 16 || cidr.prefixLength > 28) {
      throw fault(
        "InvalidVpc.Range",
        `The CIDR '${cidrText}' is invalid: the block size must be between /16 and /28.`,
      );
    }
    const vpc: VpcRec = { id: this.ids.next("vpc"), cidr, defaultSecurityGroupId: this.ids.next("sg"), tags };
    this.vpcs.set(vpc.id, vpc);
    return vpc;
  }

  createSubnet(input: { vpcId: string; cidr: string; availabilityZone?: string; tags?: Tags }): SubnetRec {
    const vpc = this.vpc(input.vpcId);
    const cidr = parseCidr(input.cidr);
    const az = input.availabilityZone ?? `${this.config.region}a`;
    if (AZ.exec(az)?.[1] !== this.config.region) {
      throw fault(
        "InvalidParameterValue",
        `Value (${az}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${this.config.region}a..f.`,
      );
    }
    if (!cidrInside(cidr, vpc.cidr) || cidr.prefixLength > 28) {
      throw fault("InvalidSubnet.Range", `The CIDR '${input.cidr}' is invalid.`);
    }
    for (const s of this.subnets.values()) {
      if (s.vpcId === vpc.id && cidrsOverlap(s.cidr, cidr)) {
        throw fault("InvalidSubnet.Conflict", `The CIDR '${input.cidr}' conflicts with another subnet`);
      }
    }
    const subnet: SubnetRec = {
      id: this.ids.next("subnet"),
      vpcId: vpc.id,
      cidr,
      availabilityZone: az,
      tags: input.tags ?? new Map(),
      used: new Set(),
      prefixes: new Set(),
    };
    this.subnets.set(subnet.id, subnet);
    return subnet;
  }

  /** RunInstances: each instance gets a primary ENI at device index 0, DeleteOnTermination true. */
  runInstances(input: {
    instanceType: string;
    subnetId: string;
    count: number;
    imageId?: string;
    securityGroupIds?: string[];
    tags?: Tags;
  }): InstanceRec[] {
    const type = this.instanceType(input.instanceType);
    const subnet = this.subnet(input.subnetId);
    const vpc = this.vpc(subnet.vpcId);
    const ips = pickFreeAddresses(subnet, input.count);
    if (!ips) {
      throw fault(
        "InsufficientFreeAddressesInSubnet",
        "The specified subnet does not have enough free addresses to satisfy the request.",
      );
    }
    const reservationId = this.ids.next("r");
    return ips.map((ip) => {
      const instanceId = this.ids.next("i");
      const eni: EniRec = {
        id: this.ids.next("eni"),
        subnetId: subnet.id,
        vpcId: vpc.id,
        availabilityZone: subnet.availabilityZone,
        mac: this.ids.mac(),
        description: "",
        primaryIp: ip,
        secondaryIps: [],
        prefixes: [],
        securityGroupIds: input.securityGroupIds?.length
          ? input.securityGroupIds
          : [vpc.defaultSecurityGroupId],
        sourceDestCheck: true,
        tags: new Map(),
        attachment: {
          id: this.ids.next("eni-attach"),
          instanceId,
          deviceIndex: 0,
          networkCardIndex: 0,
          status: "attached",
          deleteOnTermination: true,
          attachTime: new Date(),
        },
      };
      subnet.used.add(ip);
      this.enis.set(eni.id, eni);
      const instance: InstanceRec = {
        id: instanceId,
        reservationId,
        imageId: input.imageId ?? "ami-0emulator0000000",
        type,
        availabilityZone: subnet.availabilityZone,
        subnetId: subnet.id,
        vpcId: vpc.id,
        state: "running",
        launchTime: new Date(),
        tags: new Map(input.tags ?? []),
        primaryEniId: eni.id,
        primaryIp: ip,
      };
      this.instances.set(instance.id, instance);
      return instance;
    });
  }

  /**
   * Terminates instances: ENIs with DeleteOnTermination are deleted, every other
   * attached ENI is detached and becomes `available` (this is how ENIs leak).
   */
  async terminateInstances(
    ids: string[],
  ): Promise<{ id: string; previous: InstanceState; current: InstanceState }[]> {
    const instances = ids.map((id) => this.instance(id));
    const out: { id: string; previous: InstanceState; current: InstanceState }[] = [];
    for (const inst of instances) {
      const previous = inst.state;
      if (previous !== "terminated") {
        inst.state = "terminated";
        for (const eni of this.enisOf(inst.id)) {
          const deleteIt = eni.attachment!.deleteOnTermination;
          eni.attachment = undefined;
          await this.bridge.detached(inst.id, eni.id);
          if (deleteIt) this.removeEni(eni);
        }
        this.bridge.unbind(inst.id);
      }
      out.push({ id: inst.id, previous, current: inst.state });
    }
    return out;
  }

  /** Frees an ENI's addresses and forgets it. */
  removeEni(eni: EniRec): void {
    const subnet = this.subnet(eni.subnetId);
    subnet.used.delete(eni.primaryIp);
    for (const ip of eni.secondaryIps) subnet.used.delete(ip);
    for (const p of eni.prefixes) subnet.prefixes.delete(p);
    this.enis.delete(eni.id);
  }

  // ---- timers ----------------------------------------------------------------

  /** Runs `fn` after `ms` unless the world is closed first. */
  later(ms: number, fn: () => Promise<void>): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#closed) void fn();
    }, ms);
    this.#timers.add(t);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

/** `<Prefix>.Malformed` for an id that does not even look like one, else `<Prefix>.NotFound`. */
function idError(id: string, kind: string, codePrefix: string): string {
  return new RegExp(`^${kind}-[0-9a-f]{8,17}$`).test(id)
    ? `${codePrefix}.NotFound`
    : `${codePrefix}.Malformed`;
}
