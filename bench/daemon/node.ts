// The one node bench:daemon (and bench/profile-rss.ts) measures ipamd on: an
// m5.4xlarge with prefix delegation in the test harness's simulated VPC.
import { type Cluster, type ClusterNode, createCluster } from "../../test/harness/index.ts";

export interface BenchNode {
  cluster: Cluster;
  node: ClusterNode;
  /** ipamd's process id. */
  pid: number;
}

/** `kubernetes`: with the stand-in API server, as production runs. Destroy with `cluster.destroy()`. */
export async function startBenchNode(kubernetes: boolean, name = "d1"): Promise<BenchNode> {
  const cluster = await createCluster({
    timeScale: 0.05,
    kubernetes,
    // The harness's default /24 subnets hold only 16 /28 prefixes: too few for 250 pods.
    subnetCidrs: ["10.0.16.0/20"],
    nodes: [
      {
        name,
        instanceType: "m5.4xlarge",
        prefixDelegation: true,
        env: { VPC_CNI_IP_COOLDOWN_SECONDS: "0" },
      },
    ],
  });
  const node = cluster.nodes[0]!;
  const pid = node.ipamd?.pid;
  if (pid === undefined) {
    await cluster.destroy();
    throw new Error("ipamd has no pid");
  }
  return { cluster, node, pid };
}
