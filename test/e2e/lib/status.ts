// The plugin's STATUS verb (CNI 1.1.0) as the container runtime calls it:
// the real binary, exec'd in the node namespace through the node's conflist.
// And ipamd's own STATUS answer over its socket (what the plugin decides on).
import { fileURLToPath } from "node:url";
import { type Cluster, CniRunError, createCniRunner, ipamdRequest } from "../../harness/index.ts";

const BUILD = fileURLToPath(new URL("../../../build", import.meta.url));

export type StatusAnswer = { ok: true } | { ok: false; code: number; msg: string; details: string };

export async function pluginStatus(cluster: Cluster, node: string): Promise<StatusAnswer> {
  const n = cluster.node(node);
  const runner = createCniRunner({ cniPath: [BUILD, "/usr/lib/cni"], netns: n.netns });
  try {
    await runner.status(n.conflist);
    return { ok: true };
  } catch (e) {
    if (!(e instanceof CniRunError)) throw e;
    return { ok: false, code: e.code, msg: e.message, details: e.details };
  }
}

export interface IpamdStatus {
  ready: boolean;
  available: number;
  assigned?: number;
  reason?: string;
}

export async function ipamdStatus(cluster: Cluster, node: string): Promise<IpamdStatus> {
  const r = await ipamdRequest(cluster.node(node).socketPath, { v: 1, op: "status" });
  if (r["ok"] !== true) throw new Error(`ipamd STATUS failed: ${JSON.stringify(r)}`);
  return r["result"] as IpamdStatus;
}
