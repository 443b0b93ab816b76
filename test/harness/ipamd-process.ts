// One ipamd per node, started INSIDE the node's network namespace
// (`ip netns exec <ns> deploy/ipamd.sh`: production's launcher, its V8 flags
// and the pre-bundled build/ipamd/main.js), as a hostNetwork aws-node pod
// runs. `ip netns exec` and the launcher exec in place, so the child's pid IS
// ipamd and signals reach it directly. Output goes to <stateDir>/ipamd.log.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { HarnessError } from "./names.ts";

export const IPAMD_MAIN = fileURLToPath(new URL("../../build/ipamd/main.js", import.meta.url));
const IPAMD_LAUNCHER = fileURLToPath(new URL("../../deploy/ipamd.sh", import.meta.url));
// (Re)build the bundle when a source is newer (a no-op otherwise), so tests never run stale code.
execFileSync(
  fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url)),
  [fileURLToPath(new URL("../../deploy/build-ipamd.ts", import.meta.url))],
  { stdio: ["ignore", "ignore", "inherit"] },
);

export interface IpamdSpec {
  netns: string;
  env: Record<string, string>;
  logFile: string;
  socketPath: string;
}

export interface IpamdProc {
  readonly pid: number | undefined;
  /** False once the process has exited. */
  readonly running: boolean;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export function startIpamd(spec: IpamdSpec): IpamdProc {
  const log = openSync(spec.logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn("ip", ["netns", "exec", spec.netns, IPAMD_LAUNCHER], {
      env: { ...spec.env, VPC_CNI_NODE: process.execPath },
      stdio: ["ignore", log, log],
    });
  } finally {
    closeSync(log);
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.on("error", () => {
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  return {
    pid: child.pid,
    get running() {
      return !done;
    },
    exited,
    kill(signal = "SIGTERM") {
      if (!done) child.kill(signal);
    },
    async stop(graceMs = 5000) {
      if (done) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** One request over ipamd's API socket (ipamd/api/protocol.ts framing: one JSON line each way). */
export function ipamdRequest(
  socketPath: string,
  req: object,
  timeoutMs = 2000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let buf = "";
    s.setTimeout(timeoutMs, () => s.destroy(new Error("timeout")));
    s.on("connect", () => s.write(`${JSON.stringify(req)}\n`));
    s.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
    });
    s.on("error", reject);
    s.on("close", () => {
      try {
        resolve(JSON.parse(buf) as Record<string, unknown>);
      } catch {
        reject(new Error(`bad answer: ${JSON.stringify(buf.slice(0, 200))}`));
      }
    });
  });
}

/** Polls STATUS until ipamd says ready (or the process dies, or time runs out). */
export async function waitIpamdReady(
  proc: IpamdProc,
  socketPath: string,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  let dead = false;
  void proc.exited.then(() => {
    dead = true;
  });
  while (Date.now() < deadline) {
    if (dead) throw new HarnessError(`ipamd exited during start-up; see ${logFile}`);
    try {
      const r = await ipamdRequest(socketPath, { v: 1, op: "status" }, 1000);
      const result = r["result"] as { ready?: boolean; reason?: string } | undefined;
      if (r["ok"] === true && result?.ready) return;
      last = JSON.stringify(r);
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new HarnessError(`ipamd not ready after ${timeoutMs} ms (last: ${last}); see ${logFile}`);
}
