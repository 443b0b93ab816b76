// A burst of concurrent pod ADDs through the node's conflist, each pod
// retrying CNI error 11 ("try again later") as kubelet re-creates a failed
// sandbox: DEL, back-off 100 ms doubling to 1 s, ADD again.
//
// The ADDs run in a launcher process (burst/launcher.ts) started inside the
// node's network namespace, which execs the plugins directly, as containerd
// does on a node. Not from the bench process: that one hosts the EC2 emulator
// and the stand-in API server, and Node's spawn() blocks the event loop of the
// process that calls it (~6 ms per child here): spawning 100 plugins from it
// froze "AWS" and "the API server" for ~0.6 s (measured), which no real
// node's burst does to the real ones.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CniRunError, type ConfList, createCniRunner, type RuntimeConf } from "../../test/harness/index.ts";

export interface BurstOutcome {
  /** Per pod: ms from the burst's start until its ADD succeeded. */
  doneMs: number[];
  tryAgain: number;
  failures: string[];
  ips: string[];
}

/** What the launcher needs: plain data, passed as JSON. */
export interface BurstJob {
  conflist: ConfList;
  cniPath: string[];
  podNetnsPaths: string[];
  /** Container id prefix; a second burst uses another one. */
  tag: string;
  giveUpMs: number;
  /** From the burst's start until the ADDs run (kubelet starting the sandboxes); default 0. */
  addDelayMs?: number;
}

export interface BurstPods extends BurstJob {
  /** The node's namespace (ip netns name): where the plugins run. */
  nodeNetns: string;
  /** Called at the burst's start, before any plugin runs (the scheduler's part: Pod objects). */
  onStart?: () => void;
}

function rt(p: BurstJob, i: number): RuntimeConf {
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

const sinceNs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * The ADDs themselves, run by the launcher in the node's namespace. `t0` is
 * the burst's start on the monotonic clock (shared by every process here).
 */
export async function runAdds(p: BurstJob, t0: bigint): Promise<BurstOutcome> {
  const runner = createCniRunner({ cniPath: p.cniPath, timeoutMs: 60_000 });
  const out: BurstOutcome = { doneMs: [], tryAgain: 0, failures: [], ips: [] };
  const delay = (p.addDelayMs ?? 0) - sinceNs(t0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  await Promise.all(
    p.podNetnsPaths.map(async (_, i) => {
      const conf = rt(p, i);
      for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
        try {
          const r = await runner.add(p.conflist, conf);
          out.doneMs.push(sinceNs(t0));
          const ip = (r["ips"] as { address?: string }[] | undefined)?.[0]?.address ?? "";
          out.ips.push(ip);
          return;
        } catch (e) {
          const retry = e instanceof CniRunError && e.code === 11;
          if (!retry || sinceNs(t0) > p.giveUpMs) {
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

const LAUNCHER = fileURLToPath(new URL("./launcher.ts", import.meta.url));

/** A launcher process, up and waiting for "go". */
export interface BurstLauncher {
  /** Starts the burst: onStart (the Pod objects), "go", then the outcome. Once. */
  run(onStart?: () => void): Promise<BurstOutcome>;
}

/**
 * Starts the launcher and waits until it is up: its start-up is not the
 * burst's, and a launcher started before ipamd leaves ipamd no idle time
 * before the burst that it would not have on a node.
 */
export async function startLauncher(p: BurstJob & { nodeNetns: string }): Promise<BurstLauncher> {
  const { nodeNetns, ...job } = p;
  const child = spawn("ip", ["netns", "exec", nodeNetns, process.execPath, LAUNCHER], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  child.stdin.write(`${JSON.stringify(job)}\n`);
  const ready = await lines.next();
  if (ready.done || ready.value !== "ready")
    throw new Error(`burst launcher did not start (exit ${await exited})`);
  return {
    async run(onStart) {
      const t0 = process.hrtime.bigint();
      onStart?.();
      child.stdin.end(`go ${t0}\n`);
      const result = await lines.next();
      const code = await exited;
      if (result.done || code !== 0) throw new Error(`burst launcher failed (exit ${code})`);
      return JSON.parse(result.value) as BurstOutcome;
    },
  };
}

/** startLauncher + run, for a burst whose start needs nothing else (the warm-pool floor). */
export async function addBurst(p: BurstPods): Promise<BurstOutcome> {
  const { onStart, ...rest } = p;
  return (await startLauncher(rest)).run(onStart);
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
