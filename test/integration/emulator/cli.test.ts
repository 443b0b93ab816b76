// The CLI as another process would use it: start, build the demo world, change
// faults over the admin HTTP API, stop on SIGTERM.

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";

describe("npm run emulator (cloud/emulator/main.ts)", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill("SIGKILL");
  });

  it("prints the endpoint and the simple world, serves admin and IMDS, exits on SIGTERM", async () => {
    child = spawn(
      process.execPath,
      ["cloud/emulator/main.ts", "--port", "0", "--time-scale", "0", "--world", "simple"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout!.setEncoding("utf8");
    while (!/IMDS .*\n.*IMDS .*\n/s.test(out)) {
      const [chunk] = (await once(child.stdout!, "data")) as [string];
      out += chunk;
    }
    const endpoint = /EC2 endpoint: (\S+)/.exec(out)![1]!;
    const imds = [...out.matchAll(/instance (i-[0-9a-f]{17})\s+IMDS (\S+)/g)];
    expect(imds).toHaveLength(2);
    const state = (await (await fetch(`${endpoint}/_emulator/state`)).json()) as {
      instances: unknown[];
      subnets: unknown[];
      invariantViolations: string[];
    };
    expect(state.instances).toHaveLength(2);
    expect(state.subnets).toHaveLength(2);
    expect(state.invariantViolations).toEqual([]);
    const token = await (
      await fetch(new URL("latest/api/token", imds[0]![2]!), {
        method: "PUT",
        headers: { "x-aws-ec2-metadata-token-ttl-seconds": "5" },
      })
    ).text();
    const id = await (
      await fetch(new URL("latest/meta-data/instance-id", imds[0]![2]!), {
        headers: { "x-aws-ec2-metadata-token": token },
      })
    ).text();
    expect(id).toBe(imds[0]![1]);
    const notFound = await fetch(`${endpoint}/_emulator/nope`);
    expect(notFound.status).toBe(404);
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("refuses bad flags with a clear message and exit code 2", async () => {
    const bad = spawn(process.execPath, ["cloud/emulator/main.ts", "--fault-rate", "3"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    bad.stderr!.setEncoding("utf8").on("data", (c: string) => {
      err += c;
    });
    const [code] = await once(bad, "exit");
    expect(code).toBe(2);
    expect(err).toMatch(/--fault-rate must be between 0 and 1/);
  });
});
