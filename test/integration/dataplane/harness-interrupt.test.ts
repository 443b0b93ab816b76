// Ctrl-C safety: a process that built a cluster and is interrupted (SIGINT)
// before destroy() leaves no namespace, ipamd process or temp dir behind.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canUseNetns } from "../../support/privileges.ts";
import { netnsExists } from "./helpers.ts";

const CHILD = fileURLToPath(new URL("./fixtures/cluster-then-wait.ts", import.meta.url));

/** Running (not gone, not a zombie waiting to be reaped). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe.skipIf(!canUseNetns)("cluster harness cleanup on SIGINT", () => {
  it("removes namespaces, ipamd processes and the temp dir when interrupted", async () => {
    const child = spawn(process.execPath, [CHILD, "ipamd"], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        buf += d;
        if (buf.includes("\n")) resolve(buf.split("\n")[0]!);
      });
      child.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    const made = JSON.parse(line) as {
      prefix: string;
      tmpDir: string;
      router: string;
      pids: number[];
      podNetns?: string;
    };
    const names = [
      `${made.prefix}-n-x`,
      `${made.prefix}-n-y`,
      made.router,
      ...(made.podNetns ? [made.podNetns] : []),
    ];
    for (const n of names) expect(netnsExists(n)).toBe(true);
    expect(existsSync(made.tmpDir)).toBe(true);

    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    for (const n of names) expect(netnsExists(n)).toBe(false);
    expect(existsSync(made.tmpDir)).toBe(false);
    // SIGKILL was sent synchronously on exit; the kernel may need a moment to tear the process down.
    const deadline = Date.now() + 3000;
    while (made.pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(made.pids.length).toBeGreaterThan(0);
    expect(made.pids.filter(alive)).toEqual([]);
  });
});
