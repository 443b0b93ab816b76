// Pod list-then-watch with the real client against the stand-in, including a
// forced 410 Gone and bookmarks, and the release loop on top of it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { K8sClients } from "../../../ipamd/k8s/client.ts";
import { PodWatcher } from "../../../ipamd/k8s/pod-watcher.ts";
import type { HeldAssignment } from "../../../ipamd/k8s/reconcile.ts";
import { ReleaseLoop } from "../../../ipamd/k8s/release-loop.ts";
import { createPod, deletePod } from "../../support/fake-apiserver/fixtures.ts";
import type { JsonObject } from "../../support/fake-apiserver/patch.ts";
import type { FakeApiServer } from "../../support/fake-apiserver/server.ts";
import { startStandIn } from "./harness.ts";

let api: FakeApiServer;
let clients: K8sClients;
let watcher: PodWatcher;

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  ({ api, clients } = await startStandIn());
  createPod(api, "default", "a1", "node-a");
  createPod(api, "kube-system", "a2", "node-a");
  createPod(api, "default", "b1", "node-b");
  watcher = new PodWatcher(clients, { nodeName: "node-a", minBackoffMs: 20 });
});
afterAll(async () => {
  await watcher.stop();
  await api.stop();
});

describe("pod watcher", () => {
  it("is not synced before the first list, then holds exactly this node's pods", async () => {
    expect(watcher.synced).toBe(false);
    watcher.start();
    await watcher.waitForSync(5000);
    expect([...watcher.livePods()].sort()).toEqual(["default/a1", "kube-system/a2"]);
    const list = api.requests.find((r) => r.info?.verb === "list" && r.info.resource === "pods");
    expect(decodeURIComponent(list?.query ?? "")).toContain("fieldSelector=spec.nodeName=node-a");
  });

  it("follows adds and deletes on its node only", async () => {
    createPod(api, "default", "a3", "node-a");
    createPod(api, "default", "b2", "node-b");
    await until(() => watcher.livePods().has("default/a3"), "a3 added");
    deletePod(api, "default", "a1");
    await until(() => !watcher.livePods().has("default/a1"), "a1 deleted");
    expect(watcher.livePods().has("default/b2")).toBe(false);
    const w = api.requests.find((r) => r.info?.verb === "watch");
    expect(w?.query).toContain("allowWatchBookmarks=true");
  });

  it("moves its resourceVersion forward on bookmarks", async () => {
    createPod(api, "default", "b3", "node-b"); // advances the server's rv without an event for node-a
    const before = watcher.stats.bookmarks;
    expect(api.bookmarkNow()).toBe(1);
    await until(() => watcher.stats.bookmarks === before + 1, "bookmark");
    expect(watcher.resourceVersion).toBe(String(api.store.rv));
  });

  it("counts the pods that will need an address and hold none: not hostNetwork, not finished, not deleting", async () => {
    const pod = (
      name: string,
      spec: JsonObject = {},
      status: JsonObject = { phase: "Pending" },
      meta: JsonObject = {},
    ) =>
      api.createObject("", "v1", "pods", {
        metadata: { name, namespace: "burst", ...meta },
        spec: { nodeName: "node-a", containers: [{ name: "c", image: "pause" }], ...spec },
        status,
      });
    pod("p1");
    pod("p2");
    pod("host", { hostNetwork: true });
    pod("done", {}, { phase: "Succeeded" });
    pod("failed", {}, { phase: "Failed" });
    pod("leaving", {}, { phase: "Running" }, { deletionTimestamp: "2026-11-22T00:00:00Z" });
    await until(() => watcher.livePods().has("burst/leaving"), "the burst pods");
    const held = new Set(["default/a3", "kube-system/a2", "burst/p2"]); // the running pods hold theirs
    const WINDOW = 5 * 60_000;
    const awaiting = (nowMs = Date.now()) => watcher.awaitingAddress((k) => held.has(k), nowMs, WINDOW);
    expect(awaiting()).toBe(1); // burst/p1
    // Ten minutes on, p1 still has no address: no longer counted as on its way.
    expect(awaiting(Date.now() + 10 * 60_000)).toBe(0);
    // p1 finishes: nothing is awaited any more.
    const p1 = api.store.get("/v1/pods", "burst", "p1")!;
    api.store.replace("/v1/pods", "burst", "p1", { ...p1, status: { phase: "Succeeded" } });
    await until(() => awaiting() === 0, "p1 finished");
    for (const n of ["p1", "p2", "host", "done", "failed", "leaving"]) deletePod(api, "burst", n);
  });

  it("relists after 410 Gone and sees what changed while it was away", async () => {
    const lists = watcher.stats.lists;
    createPod(api, "default", "b4", "node-b"); // the watcher's rv is now older than the server's
    api.closeWatches();
    deletePod(api, "default", "a3"); // happens while no watch is open...
    api.compact(); // ...and history is gone: resuming answers 410
    await until(() => watcher.stats.expired === 1 && watcher.stats.lists === lists + 1, "relist after 410");
    expect([...watcher.livePods()].sort()).toEqual(["kube-system/a2"]);
    const expiredWatch = api.requests.filter((r) => r.info?.verb === "watch").at(-2);
    expect(expiredWatch?.status).toBe(200); // 410 arrives as an ERROR event, as from a real server
    createPod(api, "default", "a4", "node-a");
    await until(() => watcher.livePods().has("default/a4"), "a4 after relist");
  });
});

describe("release loop", () => {
  it("releases a gone pod's address only after the grace period, never a live pod's", async () => {
    let now = 1_000_000;
    const held: HeldAssignment[] = [
      { namespace: "kube-system", name: "a2", containerId: "c-a2", assignedAtMs: 0 },
      { namespace: "default", name: "gone", containerId: "c-gone", assignedAtMs: 0 },
      { namespace: "default", name: "a4", containerId: "c-a4", assignedAtMs: 0 },
    ];
    const released: string[] = [];
    const unsynced = new ReleaseLoop({
      pods: { synced: false, livePods: () => new Set() },
      held: () => held,
      release: async (a) => void released.push(a.containerId),
      now: () => now,
    });
    now += 3_600_000;
    expect(await unsynced.runOnce()).toEqual([]);

    // The daemon's datastore: a released assignment is no longer held.
    const release = async (a: HeldAssignment) => {
      released.push(a.containerId);
      held.splice(held.indexOf(a), 1);
    };
    const loop = new ReleaseLoop({
      pods: watcher,
      held: () => held,
      release,
      graceMs: 60_000,
      now: () => now,
    });
    expect(await loop.runOnce()).toEqual([]); // first seen missing now
    now += 59_999;
    expect(await loop.runOnce()).toEqual([]);
    now += 1;
    expect((await loop.runOnce()).map((a) => a.containerId)).toEqual(["c-gone"]);

    deletePod(api, "default", "a4");
    await until(() => !watcher.livePods().has("default/a4"), "a4 deleted");
    now += 10_000;
    expect(await loop.runOnce()).toEqual([]); // a4's grace starts only now
    now += 59_999;
    expect(await loop.runOnce()).toEqual([]);
    now += 1;
    expect((await loop.runOnce()).map((a) => a.containerId)).toEqual(["c-a4"]);
    now += 3_600_000;
    expect(await loop.runOnce()).toEqual([]);
    expect(released).toEqual(["c-gone", "c-a4"]);
    expect(held.map((a) => a.containerId)).toEqual(["c-a2"]); // the live pod keeps its address
  });
});
