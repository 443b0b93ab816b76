// Demo skeleton (the lead finishes it): a 3-node simulated VPC cluster built
// with the harness, one ipamd per node, and a per-node table.
//
// Needs root for network namespaces. When not root, it re-executes itself in
// `unshare -Urnm` (new user + network + mount namespaces, loopback brought up): there it is "root",
// and a private tmpfs on /run/netns lets `ip netns add` work (without it, `ip
// netns add` fails with "Permission denied" on /run/netns). Measured working:
// netns add/exec, veth, sysctl. Everything then lives and dies with that one
// process tree: nothing is left on the host even after a crash.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DescribeNetworkInterfacesCommand } from "@aws-sdk/client-ec2";
import { type Cluster, createCluster, ipamdRequest } from "../test/harness/index.ts";
import { IPAMD_MAIN } from "../test/harness/ipamd-process.ts";

const REEXEC = "VPC_CNI_DEMO_REEXEC";

function reexecUnprivileged(): never {
  if (process.env[REEXEC]) {
    console.error("demo: still not root inside `unshare -Urnm`; user namespaces may be disabled here.");
    process.exit(1);
  }
  console.error("demo: not root; re-running inside `unshare -Urnm` (private user/network/mount namespaces)");
  const r = spawnSync(
    "unshare",
    [
      "-Urnm",
      "sh",
      "-c",
      'ip link set lo up && mount -t tmpfs tmpfs /run/netns && exec "$0" "$@"',
      process.execPath,
      ...process.argv.slice(1),
    ],
    { stdio: "inherit", env: { ...process.env, [REEXEC]: "1" } },
  );
  process.exit(r.status ?? 1);
}

async function nodeRow(cluster: Cluster, name: string): Promise<string[]> {
  const n = cluster.node(name);
  const enis = await cluster.ec2.send(
    new DescribeNetworkInterfacesCommand({
      Filters: [{ Name: "attachment.instance-id", Values: [n.instanceId] }],
    }),
  );
  const list = enis.NetworkInterfaces ?? [];
  const ips = list.reduce((s, e) => s + (e.PrivateIpAddresses?.length ?? 0), 0);
  const prefixes = list.reduce((s, e) => s + (e.Ipv4Prefixes?.length ?? 0), 0);
  let status = "not running";
  if (n.ipamd?.running) {
    const r = await ipamdRequest(n.socketPath, { v: 1, op: "status" }).catch((e: Error) => ({
      error: e.message,
    }));
    const res = (r as { result?: { ready: boolean; available: number } }).result;
    status = res ? `${res.ready ? "ready" : "not ready"}, ${res.available} free` : JSON.stringify(r);
  }
  return [
    n.name,
    n.instanceId,
    n.instanceType,
    n.subnetCidr,
    n.privateIp,
    n.prefixDelegation ? "yes" : "no",
    String(list.length),
    String(ips),
    String(prefixes),
    status,
  ];
}

function printTable(rows: string[][]): void {
  const head = ["node", "instance", "type", "subnet", "primary IP", "PD", "ENIs", "IPs", "/28s", "ipamd"];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  for (const r of all) console.log(r.map((c, i) => c.padEnd(w[i]!)).join("  "));
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) reexecUnprivileged();
  const haveIpamd = existsSync(IPAMD_MAIN);
  if (!haveIpamd) console.error(`demo: ${IPAMD_MAIN} does not exist yet: building the cluster without ipamd`);
  const t0 = performance.now();
  const cluster = await createCluster({
    nodes: [
      { name: "node-1", instanceType: "t3.medium", subnet: 0 },
      { name: "node-2", instanceType: "m5.large", subnet: 1 },
      { name: "node-3", instanceType: "c5.xlarge", subnet: 0, prefixDelegation: true },
    ],
    timeScale: 0.1,
    startIpamd: haveIpamd,
  });
  try {
    console.log(
      `cluster ${cluster.prefix} up in ${(performance.now() - t0).toFixed(0)} ms (VPC ${cluster.vpcId})`,
    );
    printTable(await Promise.all(cluster.nodes.map((n) => nodeRow(cluster, n.name))));
    // TODO(lead): pods across nodes (cluster.addPod), pod-to-pod pings, scale-up/-down, ipamd restart.
  } finally {
    await cluster.destroy();
  }
}

await main();
