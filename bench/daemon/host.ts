// Hosts ONE in-process ipamd (the real Daemon object: API server, durable
// datastore with checkpoint persistence, pool loop, EC2/IMDS clients against an
// in-process emulator) with a NO-OP PodPlumbing injected (DaemonDeps.plumbing)
// and no node setup (DaemonDeps.nodeSetup: no primary ENI interface here),
// so bench:daemon's throughput measures the API path, not netlink.
// Runs inside a throwaway network namespace (bench/daemon.ts starts it under
// nsenter), so the daemon's "host" namespace is not the machine's.
// Prints "READY <socketPath>" once the pool holds >= argv[3] free addresses,
// then runs until stdin closes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEc2Client } from "../../cloud/ec2/client.ts";
import { startEmulator } from "../../cloud/emulator/index.ts";
import { createImdsClient } from "../../cloud/imds/client.ts";
import { parseSettings } from "../../ipamd/config/settings.ts";
import { Daemon } from "../../ipamd/daemon/daemon.ts";
import type { PodPlumbing } from "../../ipamd/hostnet/types.ts";
import { silentLogger } from "../../ipamd/log.ts";

const dir = mkdtempSync(join(tmpdir(), "vcb-daemon-"));
const need = Number(process.argv[2] ?? 64);
const emu = await startEmulator({ timeScale: 0, throttle: false });
const world = emu.admin.buildWorld({
  vpcCidr: "10.0.0.0/16",
  subnets: [{ cidr: "10.0.0.0/16" }],
  instances: [{ subnet: 0, instanceType: "m5.4xlarge" }],
});
const instanceId = world.instanceIds[0]!;
const noop: PodPlumbing = {
  checkNamespace: () => undefined,
  add: async (spec) => ({
    hostInterface: { name: spec.hostVethName, mac: "02:00:00:00:00:01" },
    podInterface: { name: spec.ifName, mac: "02:00:00:00:00:02", sandbox: spec.netnsPath },
  }),
  del: async () => undefined,
  check: async () => [],
};
const settings = parseSettings({
  ENABLE_PREFIX_DELEGATION: "true",
  MINIMUM_IP_TARGET: String(need),
  VPC_CNI_IP_COOLDOWN_SECONDS: "0",
  VPC_CNI_SOCKET_PATH: join(dir, "ipamd.sock"),
  VPC_CNI_STATE_DIR: join(dir, "state"),
  VPC_CNI_METRICS_ADDRESS: "127.0.0.1:61678", // own namespace: fixed ports are free
  VPC_CNI_INTROSPECTION_ADDRESS: "127.0.0.1:61679",
  CLUSTER_NAME: "bench",
});
const daemon = new Daemon({
  settings,
  imds: createImdsClient({ endpoint: emu.imdsEndpointFor(instanceId) }),
  makeEc2: (onCall) =>
    createEc2Client({
      endpoint: emu.endpoint,
      region: emu.region,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      onCall,
    }),
  log: silentLogger(),
  plumbing: noop,
  // No VPC data plane here (no interface with the primary ENI's MAC): no node setup either.
  nodeSetup: {
    primaryEni: async () => undefined,
    interfaceByMac: async () => "eth0",
    setupNode: async () => undefined,
  },
});
await daemon.start();
for (let i = 0; i < 500; i++) {
  if ((daemon.datastore?.counts(Date.now()).available ?? 0) >= need) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`READY ${settings.socketPath}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await daemon.stop();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
