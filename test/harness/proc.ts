// Asynchronous `ip netns exec` for the harness. Never spawnSync: the emulator
// and the namespace proxies run in the harness's own event loop, so blocking
// it would stall every ipamd's EC2/IMDS call.
import { spawn } from "node:child_process";
import { HarnessError } from "./names.ts";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on("close", (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

export function netnsExec(netns: string, cmd: string[], timeoutMs?: number): Promise<ExecResult> {
  return run("ip", ["netns", "exec", netns, ...cmd], timeoutMs);
}

/** Packet loss in percent (100 when nothing came back). Throws when ping itself cannot run. */
export async function pingFrom(netns: string, to: string, count = 3): Promise<number> {
  const r = await netnsExec(netns, ["ping", "-n", "-q", "-c", String(count), "-i", "0.2", "-W", "1", to]);
  const m = /(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout);
  if (m) return Number(m[1]);
  // No statistics line: ping never ran (not installed, bad address, no namespace): not "100 % loss".
  throw new HarnessError(
    `ping ${to} in ${netns} did not run (exit ${r.code}): ${r.stderr.trim()} (needs iputils-ping)`,
  );
}
