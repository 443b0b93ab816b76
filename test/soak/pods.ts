// Pod sandboxes the way containerd + kubelet drive CNI, with the one detail
// the harness runtime (test/harness/runtime.ts) leaves out and a soak with
// ipamd kills needs: a DEL that fails is RETRIED until it succeeds (kubelet
// keeps stopping the sandbox), also the DEL after a failed ADD. Without that,
// an ADD whose answer was lost to a SIGKILL would leave an address assigned
// to a container nobody will ever delete, and "no address leaked" would be
// testing the driver, not ipamd.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { delNetnsSync, trackCluster } from "../harness/cleanup.ts";
import { type CniResult, CniRunError, createCniRunner, type RuntimeConf } from "../harness/cni-runner.ts";
import type { ClusterNode } from "../harness/index.ts";
import { run } from "../harness/proc.ts";

const REPO = new URL("../../", import.meta.url).pathname;
export const CNI_PATH = [`${REPO}build`, "/usr/lib/cni"];

export interface SoakPod {
  id: number;
  node: string;
  name: string;
  containerId: string;
  netns: string;
  ip: string;
  result: CniResult;
  /** performance.now() when the ADD started / answered. */
  addStartMs: number;
  addDoneMs: number;
}

export type AddOutcome =
  | { ok: true; pod: SoakPod }
  | { ok: false; code: number; msg: string; cleanup: Promise<void> };

const TRY_AGAIN_LATER = 11;

export function podRuntime(prefix: string) {
  const runners = new Map<string, ReturnType<typeof createCniRunner>>();
  let seq = 0;
  /** Namespaces this module created and has not deleted: the destroy path deletes these. */
  const sandboxes = new Set<string>();
  // Ctrl-C / SIGTERM / exit: the harness's exit handler also removes our pod
  // sandboxes (the cluster's own cleanup knows only the harness runtime's pods).
  const untrack = trackCluster({
    cleanupSync() {
      for (const ns of sandboxes) if (ns.startsWith(`${prefix}-`)) delNetnsSync(ns);
    },
  });
  const runner = (n: ClusterNode) => {
    let r = runners.get(n.name);
    if (!r) {
      r = createCniRunner({ cniPath: CNI_PATH, netns: n.netns, timeoutMs: 20_000 });
      runners.set(n.name, r);
    }
    return r;
  };
  const rt = (p: { containerId: string; netns: string; name: string }, netnsPath = true): RuntimeConf => ({
    containerId: p.containerId,
    netns: netnsPath ? `/var/run/netns/${p.netns}` : "",
    ifName: "eth0",
    args: {
      IgnoreUnknown: "1",
      K8S_POD_NAMESPACE: "soak",
      K8S_POD_NAME: p.name,
      K8S_POD_INFRA_CONTAINER_ID: p.containerId,
    },
  });

  /** DEL until it succeeds (bounded), then drop the sandbox. */
  async function teardown(
    n: ClusterNode,
    p: { containerId: string; netns: string; name: string },
    cached: CniResult | undefined,
    deadlineMs: number,
  ): Promise<{ attempts: number }> {
    let attempts = 0;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
      attempts++;
      try {
        await runner(n).del(n.conflist, rt(p), cached);
        break;
      } catch (e) {
        if (performance.now() > deadlineMs) throw new Error(`DEL ${p.name} still failing: ${String(e)}`);
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
    await run("ip", ["netns", "del", p.netns]);
    sandboxes.delete(p.netns);
    return { attempts };
  }

  /** Like kubelet: an ADD answered "try again later" (11) is retried with back-off, for a while. */
  async function addRetrying(
    n: ClusterNode,
    p: { containerId: string; netns: string; name: string },
    deadline: number,
  ): Promise<CniResult> {
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
      try {
        return await runner(n).add(n.conflist, rt(p));
      } catch (e) {
        if (
          !(e instanceof CniRunError && e.code === TRY_AGAIN_LATER) ||
          performance.now() + backoff > deadline
        )
          throw e;
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  return {
    sandboxes,
    gc: (n: ClusterNode, valid: readonly SoakPod[]) => cniGc(n, valid),
    runner,
    async add(n: ClusterNode, delDeadlineMs: number): Promise<AddOutcome> {
      const id = ++seq;
      const p = {
        containerId: randomBytes(16).toString("hex"),
        netns: `${prefix}-s${id}`,
        name: `soak-${id}`,
      };
      const mk = await run("ip", ["netns", "add", p.netns]);
      if (mk.code !== 0) throw new Error(`ip netns add ${p.netns}: ${mk.stderr}`);
      sandboxes.add(p.netns);
      await run("ip", ["-n", p.netns, "link", "set", "lo", "up"]);
      const addStartMs = performance.now();
      try {
        const result = await addRetrying(n, p, addStartMs + 30_000);
        const first = (result["ips"] as { address?: string }[] | undefined)?.[0]?.address;
        if (!first) throw new CniRunError({ plugin: "vpc-cni", command: "ADD", code: 999, msg: "no IP" });
        const ip = first.split("/")[0]!;
        return {
          ok: true,
          pod: { ...p, id, node: n.name, ip, result, addStartMs, addDoneMs: performance.now() },
        };
      } catch (e) {
        const code = e instanceof CniRunError ? e.code : 999;
        // containerd tears a failed sandbox down with DEL; kubelet retries until it works.
        const cleanup = teardown(n, p, undefined, delDeadlineMs).then(() => undefined);
        return { ok: false, code, msg: String(e), cleanup };
      }
    },
    del: (n: ClusterNode, pod: SoakPod, deadlineMs: number) => teardown(n, pod, pod.result, deadlineMs),
    /** Removes a sandbox without CNI (its node is gone). */
    async dropSandbox(netns: string): Promise<void> {
      await run("ip", ["netns", "del", netns]);
      sandboxes.delete(netns);
    },
    async destroy(): Promise<void> {
      for (const ns of sandboxes) {
        if (ns.startsWith(`${prefix}-`)) await run("ip", ["netns", "del", ns]);
      }
      sandboxes.clear();
      untrack();
    },
    TRY_AGAIN_LATER,
  };
}

export type PodRuntime = ReturnType<typeof podRuntime>;

/**
 * CNI GC (spec 1.1.0) as containerd 2.x sends it: every attachment the runtime
 * still has is listed; the plugin's ipamd releases (and unplumbs) the rest.
 * This is how the design reclaims an address whose DEL came while ipamd was
 * down (the plugin's DEL then succeeds without ipamd: cni/plugin.ts cmdDel).
 */
function cniGc(n: ClusterNode, valid: readonly SoakPod[]): Promise<{ code: number; out: string }> {
  const plugin = n.conflist.plugins[0]!;
  const conf = {
    ...plugin,
    cniVersion: "1.1.0",
    name: n.conflist.name,
    "cni.dev/valid-attachments": valid.map((p) => ({ containerID: p.containerId, ifname: "eth0" })),
  };
  const bin = `${CNI_PATH[0]}/${String(plugin["type"])}`;
  return new Promise((resolve) => {
    const child = spawn("ip", ["netns", "exec", n.netns, bin], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", CNI_COMMAND: "GC", CNI_PATH: CNI_PATH.join(":") },
      timeout: 30_000,
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("error", (e) => resolve({ code: 127, out: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 128, out }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(conf));
  });
}
