// Exec one program the way a container runtime execs a CNI plugin: fork/exec
// with a given environment (nothing inherited but PATH), the configuration on
// stdin, the result read from stdout. Resolves with the wall time from spawn
// to exit, so two plugins exec'd through this are timed identically.
import { spawn } from "node:child_process";

export interface ExecResult {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
}

export function execTimed(bin: string, env: Record<string, string>, stdin: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}
