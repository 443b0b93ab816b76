// The shared cloud of the scale simulation: ONE emulator (one account, one
// set of throttling buckets), N instances built through the admin API (world
// building is not an EC2 call a node makes), and what each node knows at boot.
import { DEFAULT_LATENCY, type Emulator, startEmulator } from "../../cloud/emulator/index.ts";
import { emulatorBuckets } from "./time.ts";

export interface SimNode {
  instanceId: string;
  imdsEndpoint: string;
  subnetId: string;
  subnetCidr: string;
  securityGroupIds: string[];
  primary: { id: string; mac: string; primaryIp: string };
}

export interface SimWorld {
  emulator: Emulator;
  nodes: SimNode[];
}

export async function buildSimWorld(n: number, instanceType: string, s: number): Promise<SimWorld> {
  const emulator = await startEmulator({
    timeScale: s,
    latency: DEFAULT_LATENCY,
    throttle: { buckets: emulatorBuckets(s) },
  });
  const subnetCidr = "10.0.0.0/16";
  const built = emulator.admin.buildWorld({
    vpcCidr: "10.0.0.0/16",
    subnets: [{ cidr: subnetCidr }],
    instances: Array.from({ length: n }, () => ({ subnet: 0, instanceType })),
  });
  const state = emulator.admin.state();
  const primaryOf = new Map(
    state.enis
      .filter((e) => e.attachment?.deviceIndex === 0 && e.attachment.instanceId !== undefined)
      .map((e) => [e.attachment!.instanceId, e]),
  );
  const nodes = built.instanceIds.map((id) => {
    const e = primaryOf.get(id);
    if (e === undefined) throw new Error(`instance ${id} has no primary ENI`);
    return {
      instanceId: id,
      imdsEndpoint: built.imds[id]!,
      subnetId: e.subnetId,
      subnetCidr,
      securityGroupIds: e.securityGroupIds,
      primary: { id: e.id, mac: e.macAddress, primaryIp: e.primaryIp },
    };
  });
  return { emulator, nodes };
}
