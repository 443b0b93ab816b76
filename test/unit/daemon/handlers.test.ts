// The request handlers with a real Datastore and a real checkpoint file
// (temp dir); only PodPlumbing and the pool signals are stand-ins.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IpamdHandlers } from "../../../ipamd/api/handlers.ts";
import { vethNameFor } from "../../../ipamd/api/pod-spec.ts";
import type { IpamdResponse } from "../../../ipamd/api/protocol.ts";
import { Checkpoint } from "../../../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { DurableDatastore } from "../../../ipamd/datastore/durable.ts";
import { HostnetError, type PodNetworkSpec, type PodPlumbing } from "../../../ipamd/hostnet/types.ts";
import { silentLogger } from "../../../ipamd/log.ts";
import { IpamdMetrics } from "../../../ipamd/metrics/metrics.ts";
import { holdHostPods } from "../../../ipamd/recovery/host-scan.ts";
import { ENI_1 } from "./eni-fixture.ts";
import { key, link } from "./request-fixture.ts";

const pod = { namespace: "default", name: "p" };

class FakePlumbing implements PodPlumbing {
  adds: PodNetworkSpec[] = [];
  dels: PodNetworkSpec[] = [];
  failAdd: Error | undefined;
  failDel: Error | undefined;
  badNamespace: Error | undefined;
  checkNamespace() {
    if (this.badNamespace) throw this.badNamespace;
  }
  async add(spec: PodNetworkSpec) {
    if (this.failAdd) throw this.failAdd;
    this.adds.push(spec);
    return {
      hostInterface: { name: spec.hostVethName, mac: "aa:aa:aa:aa:aa:aa" },
      podInterface: { name: spec.ifName, mac: "bb:bb:bb:bb:bb:bb", sandbox: spec.netnsPath },
    };
  }
  async del(spec: PodNetworkSpec) {
    if (this.failDel) throw this.failDel;
    this.dels.push(spec);
  }
  async check() {
    return [];
  }
}

describe("IpamdHandlers", () => {
  let dir: string;
  let ds: Datastore;
  let durable: DurableDatastore;
  let plumbing: FakePlumbing;
  let wakes: number;
  let wokenFor: string[];
  let forgotten: string[];
  let ready: boolean;
  let h: IpamdHandlers;
  /** What a restarted ipamd would load (the newest of the checkpoint's two slots). */
  const onDisk = async () => {
    const r = await new Checkpoint(join(dir, "cp.json")).load();
    if (!r.ok) throw r.error;
    return r.state.assignments;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ipamd-h-"));
    ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni({ ...ENI_1 });
    durable = new DurableDatastore(ds, new Checkpoint(join(dir, "cp.json")));
    plumbing = new FakePlumbing();
    wakes = 0;
    wokenFor = [];
    forgotten = [];
    ready = true;
    h = new IpamdHandlers({
      durable,
      plumbing,
      pool: {
        wake: (k) => {
          wakes++;
          wokenFor.push(k.containerId);
        },
        forget: (k) => {
          forgotten.push(k.containerId);
        },
        explainShortage: () => "node i-1 (m5.large) holds 1 of its 1 pod addresses",
        mayGrow: () => true,
        changed: async () => undefined,
      },
      readiness: () => (ready ? { ready: true } : { ready: false, reason: "recovering" }),
      metrics: new IpamdMetrics(),
      log: silentLogger(),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const add = (c: string) =>
    h.handle({ v: 1, op: "add", key: key(c), netns: "/var/run/netns/x", pod: { ...pod, name: c }, link });
  const del = (c: string) =>
    h.handle({ v: 1, op: "del", key: key(c), netns: "/var/run/netns/x", pod: { ...pod, name: c }, link });
  const ipOf = (r: IpamdResponse) => (r.ok && r.op === "add" ? r.result.ip : undefined);

  it("answers TRY_AGAIN_LATER at once with the planner's numbers when the pool is empty, and wakes the pool", async () => {
    const r = await add("c1");
    expect(r).toEqual({
      ok: false,
      error: { code: 11, msg: "node i-1 (m5.large) holds 1 of its 1 pod addresses" },
    });
    expect(wakes).toBe(1);
    // The pod's key, so the pool loop counts kubelet's retries of this pod once.
    expect(wokenFor).toEqual(["c1"]);
    expect(plumbing.adds).toHaveLength(0);
  });

  it("a pod stops counting as waiting once its ADD got an address or it was deleted", async () => {
    expect((await add("c1")).ok).toBe(false); // refused: the pool is empty
    expect(forgotten).toEqual([]);
    ds.addIps("eni-1", ["10.0.1.5"]);
    expect((await add("c1")).ok).toBe(true);
    expect(forgotten).toEqual(["c1"]);
    await del("c1");
    expect(forgotten).toEqual(["c1", "c1"]);
  });

  it("ADD: the assignment is on disk before the answer, with the ENI's table and gateway", async () => {
    ds.addIps("eni-1", ["10.0.1.5"]);
    const r = await add("c1");
    expect(r.ok && r.op === "add" && r.result).toMatchObject({
      ip: "10.0.1.5",
      eniId: "eni-1",
      routeTable: 2,
      subnetGateway: "10.0.1.1",
      podGateway: "169.254.1.1",
    });
    expect((await onDisk()).map((a) => a.ip)).toEqual(["10.0.1.5"]);
    expect(plumbing.adds[0]).toMatchObject({ podIp: "10.0.1.5", eniTable: 2, mtu: 9001 });
  });

  it("a repeated ADD returns the same address and plumbs again", async () => {
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    const a = ipOf(await add("c1"));
    const b = ipOf(await add("c1"));
    expect(b).toBe(a);
    expect(plumbing.adds).toHaveLength(2);
    expect(plumbing.dels).toHaveLength(1);
  });

  it("a plumbing failure leaves nothing held, in memory or on disk", async () => {
    ds.addIps("eni-1", ["10.0.1.5"]);
    plumbing.failAdd = new HostnetError("exists", "eth0 already exists in /var/run/netns/x", "EEXIST");
    const r = await add("c1");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe(4);
    expect(!r.ok && r.error.msg).toContain("already exists");
    expect(ds.counts(Date.now())).toMatchObject({ assigned: 0, available: 1, cooldown: 0 });
    expect(await onDisk()).toEqual([]);
  });

  it("a bad namespace is refused before any address is assigned, even with none free: code 4, nothing written", async () => {
    plumbing.badNamespace = new HostnetError(
      "invalid",
      "CNI_NETNS /proc/self/ns/net is the node's own network namespace (ipamd's), not a pod's",
      "EINVAL",
    );
    // No address at all: a bad namespace must not wait for the pool to grow.
    const r = await add("c1");
    expect(r).toMatchObject({ ok: false, error: { code: 4 } });
    expect(!r.ok && r.error.msg).toContain("node's own network namespace");
    ds.addIps("eni-1", ["10.0.1.5"]);
    expect(await add("c2")).toMatchObject({ ok: false, error: { code: 4 } });
    expect(plumbing.adds).toEqual([]);
    expect(ds.counts(Date.now())).toMatchObject({ assigned: 0, available: 1 });
    expect(await onDisk()).toEqual([]);
  });

  it("DEL releases into cooldown, is idempotent, and keeps the address if unplumbing fails", async () => {
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    await add("c1");
    await add("c2");
    expect((await del("c1")).ok).toBe(true);
    expect((await del("c1")).ok).toBe(true);
    expect(ds.counts(Date.now())).toMatchObject({ assigned: 1, cooldown: 1 });
    plumbing.failDel = new HostnetError("netlink", "EBUSY", "EBUSY");
    const r = await del("c2");
    expect(r.ok).toBe(false);
    expect(ds.get(key("c2"))?.ip).toBeDefined();
    expect(await onDisk()).toHaveLength(1);
  });

  it("GC releases what the runtime no longer lists, only in that network", async () => {
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6", "10.0.1.7"]);
    await add("c1");
    await add("c2");
    await h.handle({ v: 1, op: "add", key: { ...key("c3"), network: "other" }, netns: "/x", pod, link });
    const r = await h.handle({
      v: 1,
      op: "gc",
      network: "aws-cni",
      valid: [{ containerId: "c2", ifName: "eth0" }],
    });
    expect(r).toEqual({ ok: true, op: "gc", released: 1 });
    expect(
      ds
        .assignments()
        .map((a) => a.key.containerId)
        .sort(),
    ).toEqual(["c2", "c3"]);
    expect(await onDisk()).toHaveLength(2);
  });

  it("CHECK refuses an address the runtime did not get", async () => {
    ds.addIps("eni-1", ["10.0.1.5"]);
    await add("c1");
    const ok = await h.handle({
      v: 1,
      op: "check",
      key: key("c1"),
      netns: "/x",
      pod,
      link,
      expectIp: "10.0.1.5",
    });
    const bad = await h.handle({
      v: 1,
      op: "check",
      key: key("c1"),
      netns: "/x",
      pod,
      link,
      expectIp: "10.0.1.9",
    });
    expect(ok.ok).toBe(true);
    expect(bad.ok).toBe(false);
  });

  it("CHECK and DEL find a pod held by a placeholder after a lost checkpoint (never code 3: DEL is still needed)", async () => {
    ds.addIps("eni-1", ["10.0.1.5"]);
    // Recovery from host routes: the pod's stable veth name is all that is known.
    const veth = vethNameFor(link.vethPrefix, pod, key("c1"));
    expect(holdHostPods(ds, [{ ip: "10.0.1.5", hostVeth: veth }], Date.now())).toHaveLength(1);
    const req = { v: 1 as const, key: key("c1"), netns: "/x", pod, link };
    expect(await h.handle({ ...req, op: "check", expectIp: "10.0.1.5" })).toEqual({ ok: true, op: "check" });
    expect(await h.handle({ ...req, op: "del" })).toEqual({ ok: true, op: "del" });
    expect(plumbing.dels.map((d) => d.podIp)).toEqual(["10.0.1.5"]);
    // Released now: CHECK says unknown container.
    const after = await h.handle({ ...req, op: "check", expectIp: "10.0.1.5" });
    expect(!after.ok && after.error.code).toBe(3);
  });

  it("before recovery finished: ADD is told to retry, STATUS says why", async () => {
    ready = false;
    ds.addIps("eni-1", ["10.0.1.5"]);
    const r = await add("c1");
    expect(!r.ok && r.error).toMatchObject({ code: 11, msg: "ipamd is not ready: recovering" });
    expect(await h.handle({ v: 1, op: "status" })).toEqual({
      ok: true,
      op: "status",
      result: { ready: false, available: 0, reason: "recovering" },
    });
  });
});
