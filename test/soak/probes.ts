// Sabotage probes, run once per soak on the live cluster: break something on
// purpose and require the SAME checks the soak relies on to report it, then
// undo it. A probe that goes unnoticed is itself a violation, so a checker
// that has silently stopped being able to fail cannot produce a green run.
import type { Cluster } from "../harness/index.ts";
import { run } from "../harness/proc.ts";
import { instanceMap } from "./checks.ts";
import type { Ledger } from "./ledger.ts";
import { leftoverViolations, nodeNetView, podAddrs } from "./netns-view.ts";
import { namespaceViolations, ownershipViolations } from "./ownership.ts";

export async function runProbes(cluster: Cluster, ledger: Ledger): Promise<string> {
  const healthy = ledger.livePods().filter((p) => !ledger.casualties.has(p.name));
  const results: [string, boolean][] = [];
  const [p1, p2] = healthy;
  if (p1 && p2) {
    // 1. The same address configured in two pod namespaces.
    await run("ip", ["-n", p2.netns, "addr", "add", `${p1.ip}/32`, "dev", "eth0"]);
    const seen = [
      { pod: p1.name, ip: p1.ip, addrs: await podAddrs(p1.netns) },
      { pod: p2.name, ip: p2.ip, addrs: await podAddrs(p2.netns) },
    ];
    await run("ip", ["-n", p2.netns, "addr", "del", `${p1.ip}/32`, "dev", "eth0"]);
    results.push(["duplicate address in pod namespaces", namespaceViolations(seen).length > 0]);
    // 2. A pod claimed by the wrong node: its address is on another instance's ENI in EC2.
    const other = cluster.nodes.find((n) => n.name !== p1.node)!.name;
    const wrong = ownershipViolations(
      cluster.emulator.admin.state().enis,
      [{ ...p1, node: other }],
      instanceMap(cluster),
    );
    results.push(["address not on the pod's own node in EC2", wrong.length > 0]);
  }
  // 3. A leftover pod veth in a node namespace.
  const n = cluster.nodes[0]!;
  const made = await run("ip", [
    "-n",
    n.netns,
    "link",
    "add",
    "eniprobe0soak",
    "type",
    "veth",
    "peer",
    "name",
    "probepeer0",
  ]);
  if (made.code === 0) {
    const found = leftoverViolations(n.name, await nodeNetView(n.netns), "eni", new Set()).length > 0;
    await run("ip", ["-n", n.netns, "link", "del", "eniprobe0soak"]);
    results.push(["leftover veth in a node namespace", found]);
  }
  for (const [what, ok] of results) if (!ok) ledger.violate(`probe not detected: ${what}`);
  if (results.length < 3) ledger.violate(`only ${results.length} of 3 sabotage probes could run`);
  return `${results.filter(([, ok]) => ok).length}/${results.length}`;
}
