// What one kubelet sandbox attempt sees: a single CNI ADD, no retry of error 11
// (cluster.addPod retries "try again later" like kubelet's loop does, which is
// right for scheduling pods but hides the answer a user reads in the pod's
// events). A second runtime over the same nodes with retries off; its pod
// namespaces carry a prefix derived from the cluster's and are deleted on exit
// even after a crash.
import { fileURLToPath } from "node:url";
import { delNetnsSync, trackCluster } from "../../harness/cleanup.ts";
import type { Cluster, Pod } from "../../harness/index.ts";
import { runNames } from "../../harness/names.ts";
import { createRuntime, type Runtime } from "../../harness/runtime.ts";

const BUILD = fileURLToPath(new URL("../../../build", import.meta.url));

export interface OneShot {
  /** One ADD attempt: the Pod, or the plugin's error (CniRunError) thrown as is. */
  add(node: string, pod: { namespace: string; name: string }): Promise<Pod>;
  del(pod: Pod): Promise<void>;
  close(): Promise<void>;
}

export function oneShotRuntime(cluster: Cluster): OneShot {
  // <cluster prefix>o: still starts with the run's prefix, never collides with its pods.
  const names = runNames(`${cluster.prefix}o`);
  const rt: Runtime = createRuntime({
    names,
    cniPath: [BUILD, "/usr/lib/cni"],
    nodes: () => cluster.nodes,
    tryAgainForMs: 0,
  });
  const untrack = trackCluster({
    cleanupSync() {
      for (const ns of rt.podNetnsNames()) {
        names.assertOurs(ns);
        delNetnsSync(ns);
      }
    },
  });
  return {
    add: (node, pod) => rt.addPod(cluster.node(node), pod),
    del: (pod) => rt.delPod(pod),
    async close() {
      for (const p of [...rt.pods.values()]) await rt.delPod(p).catch(() => undefined);
      untrack();
    },
  };
}
