// `npm run demo`: a simulated multi-node VPC cluster with the real CNI.
//
// The harness (test/harness) builds the world: the EC2+IMDS emulator with its
// netns VPC data plane (a router namespace, two subnets), three nodes of
// different instance types (one with prefix delegation), a real ipamd inside
// each node namespace, and a container runtime that execs the real plugin
// through each node's conflist. The steps (demo/steps/index.ts) schedule pods,
// prove connectivity without encapsulation, drive one node into exhaustion and
// back, and print a per-node table. Exit 0 only if every check passed.
//
// Cleanup: destroy() at the end, and the harness's exit/SIGINT/SIGTERM handler
// when interrupted; both only delete names carrying this run's prefix.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hostSnapshot, leftovers } from "../test/e2e/lib/teardown.ts";
import { createCluster } from "../test/harness/index.ts";
import { note, type Outcome, summary, timed } from "./progress.ts";
import { ensureRootOrReexec } from "./reexec.ts";
import { STEPS } from "./steps/index.ts";
import type { DemoContext } from "./steps/types.ts";
import { DEMO_NODES, demoClusterOptions } from "./world.ts";

const PLUGIN = fileURLToPath(new URL("../build/vpc-cni", import.meta.url));

async function main(): Promise<number> {
  ensureRootOrReexec();
  if (!existsSync(PLUGIN)) {
    console.error(`demo: ${PLUGIN} is missing: run \`bash cni/build.sh\` (npm run demo does)`);
    return 2;
  }
  // Registered before the harness's own handler (installed by createCluster),
  // which then deletes everything this run created and exits 130/143.
  for (const sig of ["SIGINT", "SIGTERM"] as const)
    process.once(sig, () => console.error(`\ndemo: ${sig}: removing everything this run created`));
  const t0 = performance.now();
  const outcomes: Outcome[] = [];
  const before = await hostSnapshot();
  console.log("vpc-cni demo: a simulated VPC, 3 nodes, real ipamd + CNI plugin, no overlay\n");

  const opts = demoClusterOptions();
  let cluster: Awaited<ReturnType<typeof createCluster>> | undefined;
  const up = await timed("start emulator, VPC router, 2 subnets, 3 nodes, an ipamd per node", async () => {
    cluster = await createCluster(opts);
    for (const n of cluster.nodes)
      note(
        `${n.name}  ${n.instanceType.padEnd(9)}  ${n.instanceId}  ${n.subnetCidr}  primary ${n.privateIp}` +
          `${n.prefixDelegation ? "  prefix delegation" : ""}  netns ${n.netns}`,
      );
    return `run ${cluster.prefix}, VPC ${cluster.vpcId}, router netns ${cluster.dataPlane.routerNetns}`;
  });
  outcomes.push(up);

  if (cluster) {
    const c = cluster;
    const ctx: DemoContext = { cluster: c, pods: new Map(), note };
    try {
      for (const step of STEPS) outcomes.push(await timed(step.title, () => step.run(ctx)));
    } finally {
      outcomes.push(
        await timed(
          "tear down: every namespace, link, route, rule and process of this run removed",
          async () => {
            const pods = c.runtime.pods.size;
            await c.destroy();
            const left = await leftovers(c, before);
            if (left.length > 0) throw new Error(`left behind:\n${left.join("\n")}`);
            return `${pods} pods, ${DEMO_NODES.length} nodes, router: nothing left`;
          },
        ),
      );
    }
  }
  return summary(outcomes, performance.now() - t0) ? 0 : 1;
}

process.exitCode = await main();
