// The scale simulation's EC2 + IMDS, in a process of its own (started by
// world.ts). In the nodes' process, the emulator's server shared one event
// loop with 1,000 pool managers: busy turns of ~20 ms, and Node accepts only a
// few new connections per turn. The accept queue then held 1,300-1,900
// connections for ~20 s after the join (ss), IMDS token PUTs waited up to 19 s
// before the server saw them, and EC2 answers took >10 s: delays of the
// simulator, not of EC2, that ipamd's timeouts then acted on.
//   node bench/scale/emulator-process.ts <nodes> <instanceType> <timeScale>
// Prints one JSON line (SimCloud) when ready; stops when stdin closes.
import { DEFAULT_LATENCY, startEmulator } from "../../cloud/emulator/index.ts";
import { emulatorBuckets } from "./time.ts";
import type { SimCloud, SimNode } from "./world.ts";

const [n, instanceType, s] = [Number(process.argv[2]), process.argv[3] ?? "", Number(process.argv[4])];
if (!Number.isInteger(n) || n < 1 || instanceType === "" || !(s > 0)) {
  process.stderr.write("usage: emulator-process.ts <nodes> <instanceType> <timeScale>\n");
  process.exit(2);
}
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
const primaryOf = new Map(
  emulator.admin
    .state()
    .enis.filter((e) => e.attachment?.deviceIndex === 0 && e.attachment.instanceId !== undefined)
    .map((e) => [e.attachment!.instanceId, e]),
);
const nodes: SimNode[] = built.instanceIds.map((id) => {
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
const ready: SimCloud = { endpoint: emulator.endpoint, region: emulator.region, nodes };
process.stdout.write(`${JSON.stringify(ready)}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void emulator.close().then(() => process.exit(0));
});
