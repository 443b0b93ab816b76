// Throttling (shared token buckets), injected faults, admin over HTTP.

import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, type Harness, smallWorld, startHarness } from "./harness.ts";

describe("throttling and faults", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("answers RequestLimitExceeded 503 exactly at the bucket edge, shared across clients", async () => {
    h = await startHarness({ throttle: { buckets: { describe: { capacity: 10, refillPerSecond: 0.001 } } } });
    const w = smallWorld(h.emu);
    const other = new EC2Client({
      endpoint: h.emu.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "B", secretAccessKey: "B" },
      maxAttempts: 1,
    });
    const call = (c: EC2Client) => c.send(new DescribeSubnetsCommand({ SubnetIds: [w.subnetIds[0]!] }));
    for (let i = 0; i < 5; i++) await call(h.ec2);
    for (let i = 0; i < 5; i++) await call(other);
    expect(await codeOf(call(h.ec2))).toMatchObject({ code: "RequestLimitExceeded", status: 503 });
    expect(await codeOf(call(other))).toMatchObject({ code: "RequestLimitExceeded" });
    // Unfiltered DescribeNetworkInterfaces draws from its own bucket (50), still full.
    await h.ec2.send(new DescribeNetworkInterfacesCommand({}));
    other.destroy();
    const s = h.emu.stats();
    expect(s.throttled).toBe(2);
    expect(s.byAction["DescribeSubnets"]).toMatchObject({ calls: 12, ok: 10, throttled: 2 });
  });

  it("uses the AWS defaults: the unfiltered Describe bucket holds 50", async () => {
    h = await startHarness();
    const results = await Promise.allSettled(
      Array.from({ length: 55 }, () => h!.ec2.send(new DescribeNetworkInterfacesCommand({}))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
  });

  it("the SDK's standard retries ride out throttling once the bucket refills", async () => {
    h = await startHarness(
      { throttle: { buckets: { describe: { capacity: 1, refillPerSecond: 20 } } } },
      { maxAttempts: 5 },
    );
    const w = smallWorld(h.emu);
    for (let i = 0; i < 3; i++) await h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: w.subnetIds }));
    expect(h.emu.stats().throttled).toBeGreaterThan(0);
  });

  it("injects InternalError/Unavailable at the configured rate, changeable over the admin HTTP API", async () => {
    let n = 0;
    h = await startHarness({ throttle: false, random: () => [0.1, 0.2, 0.1, 0.9][n++ % 4]! });
    const res = await fetch(`${h.emu.endpoint}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ "*": 0.5 }),
    });
    expect(res.status).toBe(200);
    const a = await codeOf(h.ec2.send(new DescribeNetworkInterfacesCommand({})));
    expect(a).toMatchObject({ code: "InternalError", status: 500 }); // 0.1 < 0.5, then 0.2 < 0.5 -> 500
    const b = await codeOf(h.ec2.send(new DescribeNetworkInterfacesCommand({})));
    expect(b).toMatchObject({ code: "Unavailable", status: 503 }); // 0.1 < 0.5, then 0.9 -> 503
    const bad = await fetch(`${h.emu.endpoint}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ "*": 7 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/between 0 and 1/);
    await fetch(`${h.emu.endpoint}/_emulator/faults`, { method: "POST", body: "{}" });
    await h.ec2.send(new DescribeNetworkInterfacesCommand({}));
    const stats = (await (await fetch(`${h.emu.endpoint}/_emulator/stats`)).json()) as {
      injectedFaults: number;
    };
    expect(stats.injectedFaults).toBe(2);
  });

  it("applies latency scaled by timeScale", async () => {
    h = await startHarness({ timeScale: 1, latency: { describeMs: 80 } });
    const t0 = performance.now();
    await h.ec2.send(new DescribeNetworkInterfacesCommand({}));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    h.emu.admin.setTimeScale(0);
    const t1 = performance.now();
    await h.ec2.send(new DescribeNetworkInterfacesCommand({}));
    expect(performance.now() - t1).toBeLessThan(75);
  });

  it("refuses bad options with a clear error", async () => {
    const { startEmulator } = await import("../../../cloud/emulator/index.ts");
    await expect(startEmulator({ timeScale: -1 })).rejects.toThrow(/timeScale must be a number >= 0/);
    await expect(startEmulator({ faults: { "*": 2 } })).rejects.toThrow(/between 0 and 1/);
  });
});
