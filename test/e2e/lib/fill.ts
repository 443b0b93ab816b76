// Schedules pods on a node until every pod address the instance type allows
// is assigned (kubelet-style retries while ipamd attaches ENIs), a few ADDs
// in flight at a time as a busy node would see.
import type { Cluster, Pod } from "../../harness/index.ts";
import { poolView } from "./pool.ts";

export async function fillNode(
  cluster: Cluster,
  node: string,
  namePrefix: string,
  concurrency = 3,
): Promise<{ pods: Pod[]; limit: number }> {
  const before = await poolView(cluster, node);
  const limit = before.maxAddresses;
  const names = Array.from({ length: limit - before.assigned }, (_, i) => `${namePrefix}-${i + 1}`);
  const pods: Pod[] = [];
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      pods.push(await cluster.addPod(node, { namespace: "fill", name }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { pods, limit };
}
