// A burst of concurrent pod ADDs through the node's conflist (libcni-like
// runner from the harness: plugin exec'd inside the node namespace), each pod
// retrying CNI error 11 ("try again later") as kubelet re-creates a failed
// sandbox: DEL, back-off 100 ms doubling to 1 s, ADD again.
import { CniRunError, type ConfList, createCniRunner, type RuntimeConf } from "../../test/harness/index.ts";

export interface BurstOutcome {
  /** Per pod: ms from the burst's start until its ADD succeeded. */
  doneMs: number[];
  tryAgain: number;
  failures: string[];
  ips: string[];
}

export interface BurstPods {
  conflist: ConfList;
  nodeNetns: string;
  cniPath: string[];
  podNetnsPaths: string[];
  /** Container id prefix; a second burst uses another one. */
  tag: string;
  giveUpMs: number;
  /** Called at the burst's start, before any plugin runs (the scheduler's part: Pod objects). */
  onStart?: () => void;
  /** From the burst's start until the ADDs run (kubelet starting the sandboxes); default 0. */
  addDelayMs?: number;
}

function rt(p: BurstPods, i: number): RuntimeConf {
  const containerId = `${p.tag}${i.toString().padStart(4, "0")}`;
  return {
    containerId,
    netns: p.podNetnsPaths[i]!,
    ifName: "eth0",
    args: {
      IgnoreUnknown: "1",
      K8S_POD_NAMESPACE: "burst",
      K8S_POD_NAME: `pod-${i}`,
      K8S_POD_INFRA_CONTAINER_ID: containerId,
    },
  };
}

export async function addBurst(p: BurstPods): Promise<BurstOutcome> {
  const runner = createCniRunner({ cniPath: p.cniPath, netns: p.nodeNetns, timeoutMs: 60_000 });
  const out: BurstOutcome = { doneMs: [], tryAgain: 0, failures: [], ips: [] };
  const t0 = performance.now();
  p.onStart?.();
  if (p.addDelayMs) await new Promise((r) => setTimeout(r, p.addDelayMs));
  await Promise.all(
    p.podNetnsPaths.map(async (_, i) => {
      const conf = rt(p, i);
      for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
        try {
          const r = await runner.add(p.conflist, conf);
          out.doneMs.push(performance.now() - t0);
          const ip = (r["ips"] as { address?: string }[] | undefined)?.[0]?.address ?? "";
          out.ips.push(ip);
          return;
        } catch (e) {
          const retry = e instanceof CniRunError && e.code === 11;
          if (!retry || performance.now() - t0 > p.giveUpMs) {
            out.failures.push(`pod ${i}: ${(e as Error).message}`);
            return;
          }
          out.tryAgain++;
          await runner.del(p.conflist, conf, undefined).catch(() => undefined);
          await new Promise((r) => setTimeout(r, backoff));
        }
      }
    }),
  );
  return out;
}

export async function delAll(p: BurstPods): Promise<void> {
  const runner = createCniRunner({ cniPath: p.cniPath, netns: p.nodeNetns, timeoutMs: 60_000 });
  // A few at a time: this is cleanup, not measured.
  for (let i = 0; i < p.podNetnsPaths.length; i += 10) {
    await Promise.all(
      p.podNetnsPaths.slice(i, i + 10).map((_, j) => runner.del(p.conflist, rt(p, i + j), undefined)),
    );
  }
}
