// The container runtime's part: pod sandboxes (a network namespace each) and
// CNI ADD/CHECK/DEL through the node's conflist, as containerd does via
// libcni. The plugin runs inside the node namespace, where ipamd's socket path
// (a file, so namespace-independent) and the node's interfaces are.
import { randomBytes } from "node:crypto";
import {
  type CniResult,
  CniRunError,
  type CniRunner,
  type ConfList,
  createCniRunner,
  type RuntimeConf,
} from "./cni-runner.ts";
import { HarnessError, type RunNames } from "./names.ts";
import { type ExecResult, netnsExec, pingFrom, run } from "./proc.ts";

export interface RuntimeNode {
  name: string;
  netns: string;
  conflist: ConfList;
}

export interface Pod {
  node: string;
  namespace: string;
  name: string;
  containerId: string;
  netns: string;
  netnsPath: string;
  /** The pod's address from the ADD result (no prefix length). */
  ip: string;
  result: CniResult;
  /** ADD wall time of the attempt that succeeded, all plugins included (retries after error 11 not counted). */
  addMs: number;
}

export interface Runtime {
  addPod(node: RuntimeNode, pod: { namespace: string; name: string }): Promise<Pod>;
  delPod(pod: Pod): Promise<void>;
  checkPod(pod: Pod): Promise<void>;
  exec(target: Pod | RuntimeNode, cmd: string[]): Promise<ExecResult>;
  ping(from: Pod | RuntimeNode, toIp: string, count?: number): Promise<number>;
  readonly pods: ReadonlyMap<string, Pod>;
  /** Namespaces of live pods, for the synchronous exit handler. */
  podNetnsNames(): string[];
}

/** CNI error 11: the plugin asks the runtime to retry (ipamd is growing the pool). */
const TRY_AGAIN_LATER = 11;

export function createRuntime(opts: {
  names: RunNames;
  cniPath: string[];
  nodes: () => RuntimeNode[];
  /** How long addPod keeps retrying an ADD answered with error 11, as kubelet would. */
  tryAgainForMs: number;
  /** Capability arguments for every pod (portMappings, bandwidth): runtimeConfig of plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
}): Runtime {
  const pods = new Map<string, Pod>(); // containerId -> pod
  const runners = new Map<string, CniRunner>();

  function nodeOf(name: string): RuntimeNode {
    const n = opts.nodes().find((x) => x.name === name);
    if (!n) throw new HarnessError(`no node ${name}`);
    return n;
  }
  function runner(node: RuntimeNode): CniRunner {
    let r = runners.get(node.name);
    if (!r) {
      r = createCniRunner({ cniPath: opts.cniPath, netns: node.netns });
      runners.set(node.name, r);
    }
    return r;
  }
  function rtConf(p: {
    containerId: string;
    netnsPath: string;
    namespace: string;
    name: string;
  }): RuntimeConf {
    return {
      containerId: p.containerId,
      netns: p.netnsPath,
      ifName: "eth0",
      args: {
        IgnoreUnknown: "1",
        K8S_POD_NAMESPACE: p.namespace,
        K8S_POD_NAME: p.name,
        K8S_POD_INFRA_CONTAINER_ID: p.containerId,
      },
      ...(opts.capabilityArgs ? { capabilityArgs: opts.capabilityArgs } : {}),
    };
  }

  async function addOnce(node: RuntimeNode, namespace: string, name: string): Promise<Pod> {
    const netns = opts.names.podNetns();
    const netnsPath = `/var/run/netns/${netns}`;
    const containerId = randomBytes(32).toString("hex");
    const mk = await run("ip", ["netns", "add", netns]);
    if (mk.code !== 0) throw new HarnessError(`ip netns add ${netns}: ${mk.stderr.trim()}`);
    await run("ip", ["-n", netns, "link", "set", "lo", "up"]);
    const base = { containerId, netnsPath, namespace, name };
    const t0 = performance.now();
    try {
      const result = await runner(node).add(node.conflist, rtConf(base));
      const addMs = performance.now() - t0;
      const first = (result["ips"] as { address?: string }[] | undefined)?.[0]?.address;
      if (!first)
        throw new HarnessError(`ADD for ${namespace}/${name} returned no IP: ${JSON.stringify(result)}`);
      const pod: Pod = { ...base, node: node.name, netns, ip: first.split("/")[0]!, result, addMs };
      pods.set(containerId, pod);
      return pod;
    } catch (e) {
      // What containerd does after a failed ADD: DEL (best effort), then drop the sandbox.
      await runner(node)
        .del(node.conflist, rtConf(base), undefined)
        .catch(() => undefined);
      await run("ip", ["netns", "del", netns]);
      throw e;
    }
  }

  return {
    pods,
    podNetnsNames: () => [...pods.values()].map((p) => p.netns),

    async addPod(node, { namespace, name }) {
      // Like kubelet: a sandbox whose ADD failed with "try again later" (ipamd still
      // growing the pool) is torn down and created again after a short back-off.
      const deadline = Date.now() + opts.tryAgainForMs;
      for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
        try {
          return await addOnce(node, namespace, name);
        } catch (e) {
          if (!(e instanceof CniRunError && e.code === TRY_AGAIN_LATER) || Date.now() + backoff > deadline)
            throw e;
          await new Promise((r) => setTimeout(r, backoff));
        }
      }
    },

    async delPod(pod) {
      const node = nodeOf(pod.node);
      await runner(node).del(node.conflist, rtConf(pod), pod.result);
      pods.delete(pod.containerId);
      opts.names.assertOurs(pod.netns);
      await run("ip", ["netns", "del", pod.netns]);
    },

    async checkPod(pod) {
      const node = nodeOf(pod.node);
      await runner(node).check(node.conflist, rtConf(pod), pod.result);
    },

    exec: (target, cmd) => netnsExec(target.netns, cmd),
    ping: (from, toIp, count) => pingFrom(from.netns, toIp, count),
  };
}
