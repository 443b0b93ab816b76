// ipamd (node ipamd/main.ts, a child process inside a node network namespace)
// against the emulator over HTTP with the real AWS SDK, pod namespaces
// plumbed for real; requests go over the real Unix socket.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, ipamdRequest } from "../../harness/index.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { until } from "../../support/until.ts";

const NETWORK = "aws-cni";
const link = { mtu: 9001, vethPrefix: "eni" };

interface Ans {
  ok: boolean;
  result?: {
    ip: string;
    eniId: string;
    routeTable: number;
    ready?: boolean;
    available?: number;
    reason?: string;
  };
  error?: { code: number; msg: string };
  released?: number;
}

describe.skipIf(!canUseNetns)("ipamd daemon against the emulator", () => {
  let cluster: Cluster;
  const pods: TestNetns[] = [];
  let sock: string;
  let livePodIp = "";
  const call = (req: object) => ipamdRequest(sock, { v: 1, ...req }, 10_000) as unknown as Promise<Ans>;
  const key = (c: string) => ({ network: NETWORK, containerId: c, ifName: "eth0" });
  const add = (c: string, ns: TestNetns, name = c) =>
    call({ op: "add", key: key(c), netns: ns.path, pod: { namespace: "default", name }, link });
  const del = (c: string, ns: TestNetns | undefined, name = c) =>
    call({ op: "del", key: key(c), netns: ns?.path ?? "", pod: { namespace: "default", name }, link });
  const pod = () => {
    const p = createNetns("pod");
    pods.push(p);
    return p;
  };
  const status = async () =>
    (await cluster.introspect("a", "/v1/status")) as {
      ready: boolean;
      counts: { total: number; assigned: number; available: number; enis: number };
    };

  beforeAll(async () => {
    // t3.medium: 3 ENIs x 6 addresses -> 15 pod addresses at the limit.
    cluster = await createCluster({
      nodes: [{ name: "a", instanceType: "t3.medium" }],
      timeScale: 0.01,
      env: {
        VPC_CNI_IP_COOLDOWN_SECONDS: "0",
        VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
        VPC_CNI_MIN_ENI_AGE_SECONDS: "0",
        VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS: "0",
      },
    });
    sock = cluster.node("a").socketPath;
  });

  afterAll(async () => {
    // Keep ipamd's log for a failed run (the cluster's temp dir goes away).
    if (process.env.IPAMD_TEST_LOG)
      execFileSync("cp", [cluster.node("a").logFile, process.env.IPAMD_TEST_LOG]);
    for (const p of pods) p.delete();
    await cluster?.destroy();
  });

  it("grows the pool to its warm target after start", async () => {
    // WARM_ENI_TARGET=1: a whole ENI's worth (5) of free addresses.
    const s = await until("pool at target", async () => {
      const s = await status();
      return s.counts.available >= 5 ? s : undefined;
    });
    expect(s.ready).toBe(true);
    const metrics = await cluster.metrics("a");
    expect(metrics).toMatch(/vpccni_addresses_available \d+/);
    expect(metrics).toMatch(
      /vpccni_ec2_calls_total\{action="AssignPrivateIpAddresses",outcome="ok"\} \d+|vpccni_ec2_calls_total\{action="CreateNetworkInterface",outcome="ok"\} \d+/,
    );
  });

  it("ADD plumbs the pod, repeated ADD returns the same address, CHECK agrees, DEL is idempotent", async () => {
    const p = pod();
    const a1 = await add("c-basic", p);
    expect(a1.ok, JSON.stringify(a1)).toBe(true);
    const ip = a1.result!.ip;
    expect(ip).toMatch(/^10\.0\.1\./);
    expect(p.exec(["-4", "-o", "addr", "show", "eth0"])).toContain(`${ip}/32`);
    const a2 = await add("c-basic", p);
    expect(a2.result?.ip).toBe(ip);
    expect(
      (
        await call({
          op: "check",
          key: key("c-basic"),
          netns: p.path,
          pod: { namespace: "default", name: "c-basic" },
          link,
          expectIp: ip,
        })
      ).ok,
    ).toBe(true);
    // A different container asking for the same interface in the same namespace must fail, and hold nothing.
    const before = (await status()).counts.assigned;
    const clash = await add("c-clash", p, "c-basic");
    expect(clash.ok).toBe(false);
    expect(clash.error?.msg).toMatch(/exists/);
    expect((await status()).counts.assigned).toBe(before);
    expect((await del("c-basic", p)).ok).toBe(true);
    expect((await del("c-basic", p)).ok).toBe(true);
    // DEL answers once the host end is down and renamed; the kernel's delete of
    // the pair (and with it eth0) follows in the background (hostnet/veth-reaper.ts).
    for (let i = 0; i < 100 && p.exec(["link", "show"]).includes("eth0"); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(() => p.exec(["link", "show", "eth0"])).toThrow();
    const check = await call({
      op: "check",
      key: key("c-basic"),
      netns: p.path,
      pod: { namespace: "default", name: "c-basic" },
      link,
      expectIp: ip,
    });
    expect(check.error?.code).toBe(3);
  });

  it("answers code 11 with the numbers at the instance limit, and never assigns twice", async () => {
    const ips = new Set<string>();
    let refusal: Ans | undefined;
    for (let i = 0; i < 40 && refusal === undefined; i++) {
      const c = `c-fill-${i}`;
      const r = await add(c, pod());
      if (r.ok) {
        expect(ips.has(r.result!.ip)).toBe(false);
        ips.add(r.result!.ip);
        continue;
      }
      expect(r.error?.code).toBe(11);
      // The pool may still be growing: only accept the refusal once the node is full.
      if (/holds 15 of its 15/.test(r.error!.msg)) refusal = r;
      else await new Promise((res) => setTimeout(res, 300));
    }
    expect(refusal?.error?.msg).toMatch(/holds 15 of its 15 pod addresses \(3 ENIs × 5, t3\.medium limit\)/);
    expect(ips.size).toBe(15);
    const s = await status();
    expect(s.counts.enis).toBe(3);
    expect(s.counts.assigned).toBe(15);
  });

  it("keeps live pods' addresses across a restart", async () => {
    const before = (await cluster.introspect("a", "/v1/assignments")) as {
      ip: string;
      key: { containerId: string };
    }[];
    expect(before.length).toBe(15);
    const first = cluster.node("a").ipamd!;
    await cluster.restartIpamd("a");
    // SIGTERM: drained, persisted, exited 0 (not killed by the harness's SIGKILL fallback).
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const after = (await cluster.introspect("a", "/v1/assignments")) as {
      ip: string;
      key: { containerId: string };
    }[];
    const m = (l: typeof before) => Object.fromEntries(l.map((a) => [a.key.containerId, a.ip]));
    expect(m(after)).toEqual(m(before));
    // the node is still full: the restarted ipamd hands out nothing held
    const r = await add("c-after-restart", pod());
    expect(r.error?.code).toBe(11);
    // GC with nothing valid releases all 15, freeing room again
    const gc = await call({ op: "gc", network: NETWORK, valid: [] });
    expect(gc.released).toBe(15);
    const r2 = await until("an address after GC", async () => {
      const x = await add("c-after-gc", pods[pods.length - 1]!);
      return x.ok ? x : undefined;
    });
    expect(r2.result?.ip).toBeDefined();
    livePodIp = r2.result!.ip;
  });

  it("starts from EC2's state when the checkpoint is corrupt (reported, not a crash loop)", async () => {
    const n = cluster.node("a");
    await cluster.killIpamd("a", "SIGKILL");
    // Both slots of the checkpoint unreadable (one alone would be read from the other).
    for (const f of ["ipam-checkpoint.json", "ipam-checkpoint.json.b"])
      writeFileSync(join(n.stateDir, f), "{ not json");
    await cluster.startIpamd("a");
    const s = await status();
    expect(s.ready).toBe(true);
    expect(await cluster.metrics("a")).toMatch(/vpccni_checkpoint_errors_total\{kind="corrupt"\} 1/);
    // The one live pod's address is held again (found from its host route), so it is never handed out twice...
    const held = (await cluster.introspect("a", "/v1/assignments")) as { ip: string }[];
    expect(held.map((a) => a.ip)).toEqual([livePodIp]);
    const other = await add("c-after-corrupt", pod());
    expect(other.ok, JSON.stringify(other)).toBe(true);
    expect(other.result?.ip).not.toBe(livePodIp);
    // ...and the runtime's DEL of that pod still releases it (matched by its host veth).
    expect((await del("c-after-gc", pods[pods.length - 2])).ok).toBe(true);
    const left = (await cluster.introspect("a", "/v1/assignments")) as { ip: string }[];
    expect(left.map((a) => a.ip)).toEqual([other.result!.ip]);
    // The corrupt file was kept aside for forensics and replaced by a valid one.
    const files = execFileSync("ls", [n.stateDir], { encoding: "utf8" });
    expect(files).toMatch(/ipam-checkpoint\.json\.bad-\d+/);
  });

  it("gives unneeded ENIs back to EC2 (detached and deleted) once pods are gone", async () => {
    const held = (await cluster.introspect("a", "/v1/assignments")) as { key: { containerId: string } }[];
    const gc = await call({ op: "gc", network: NETWORK, valid: [] });
    expect(gc.released).toBe(held.length);
    // WARM_ENI_TARGET=1 on a 5-address ENI: the primary ENI alone covers it.
    // ipamd withdraws an ENI before detaching it, so wait on EC2's side.
    const inst = cluster.node("a").instanceId;
    const enis = await until(
      "EC2 shows one ENI left",
      async () => {
        const all = cluster.emulator.admin.state().enis;
        const mine = all.filter((e) => e.attachment?.instanceId === inst);
        return mine.length === 1 && all.every((e) => e.status !== "available" && e.status !== "detaching")
          ? all
          : undefined;
      },
      40_000,
    );
    expect(enis).toHaveLength(1);
    expect((await status()).counts.enis).toBe(1);
    expect(await cluster.metrics("a")).toMatch(/vpccni_planner_actions_total\{kind="delete-eni"\} [1-9]/);
  });
  it("reads the older checkpoint slot when the newest is torn (reported, host scanned)", async () => {
    const n = cluster.node("a");
    await cluster.killIpamd("a", "SIGKILL");
    const slots = ["ipam-checkpoint.json", "ipam-checkpoint.json.b"].map((f) => join(n.stateDir, f));
    const seqOf = (f: string) => (JSON.parse(readFileSync(f, "utf8")) as { seq: number }).seq;
    const newest = slots.reduce((a, b) => (seqOf(a) >= seqOf(b) ? a : b));
    // What a kill mid-overwrite leaves: the new bytes' first half, then what was there (here: nothing).
    const json = readFileSync(newest, "utf8").trimEnd();
    writeFileSync(newest, json.slice(0, json.length >> 1));
    await cluster.startIpamd("a");
    expect((await status()).ready).toBe(true);
    expect(await cluster.metrics("a")).toMatch(/vpccni_checkpoint_errors_total\{kind="older-slot"\} 1/);
    // The older slot's assignments are what ipamd holds now (plus any the host scan found).
    const older = slots.find((f) => f !== newest)!;
    const olderIps = (
      JSON.parse(readFileSync(older, "utf8")) as { state: { assignments: { ip: string }[] } }
    ).state.assignments.map((a) => a.ip);
    const held = (await cluster.introspect("a", "/v1/assignments")) as { ip: string }[];
    expect(held.map((a) => a.ip)).toEqual(expect.arrayContaining(olderIps));
  });
});
