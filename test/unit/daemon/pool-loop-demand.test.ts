// The pool loop's demand: refused ADDs are a SET of waiting pods (by
// attachment key) that one round plans for in full, and the independent
// growth actions of that plan run concurrently.
import { describe, expect, it } from "vitest";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import type { ActionDone } from "../../../ipamd/executor/executor.ts";
import { DEMAND_COALESCE_MS, NUDGE_MS } from "../../../ipamd/executor/pool-loop.ts";
import type { PlanAction } from "../../../ipamd/planner/types.ts";
import { NOW, testPoolLoop } from "./pool-loop-fixture.ts";

// 8 ENIs x 10 addresses (9 for pods); WARM_ENI_TARGET=1.
const LIMITS = {
  instanceType: "test.8x10",
  maxEnis: 8,
  ipv4PerEni: 10,
  prefixDelegation: false,
  hypervisor: "nitro" as const,
  bareMetal: false,
};
const key = (n: number) => ({ network: "vpc", containerId: `w${n}`, ifName: "eth0" });

/** Primary ENI with 9 addresses, all given to pods. */
function fullPrimary(): Datastore {
  const ds = new Datastore({ cooldownMs: 30_000 });
  ds.upsertEni({
    id: "eni-0",
    mac: "02:00:00:00:00:00",
    deviceIndex: 0,
    primary: true,
    subnetId: "subnet-a",
    subnetCidr: "10.0.0.0/16",
    primaryIp: "10.0.0.4",
    attachedAtMs: 0,
  });
  ds.addIps(
    "eni-0",
    Array.from({ length: 9 }, (_, i) => `10.0.0.${10 + i}`),
  );
  for (let n = 0; n < 9; n++) {
    const r = ds.assign(
      { key: key(100 + n), pod: { namespace: "d", name: `p${n}` }, netns: `/n/${n}`, hostVeth: `v${n}` },
      NOW,
    );
    if (!r.ok) throw new Error("setup");
  }
  return ds;
}

const loop = (ds: Datastore, apply: (a: PlanAction) => Promise<ActionDone>) =>
  testPoolLoop(ds, LIMITS, { apply });

const tick = (ms = DEMAND_COALESCE_MS * 4) => new Promise((r) => setTimeout(r, ms));

describe("PoolLoop demand", () => {
  it("20 pods refused at once: ONE plan with every ENI they need, all started before any finishes", async () => {
    const started: PlanAction[] = [];
    const p = loop(fullPrimary(), (a) => {
      started.push(a);
      return new Promise(() => undefined); // attaches never finish in this test
    });
    for (let n = 0; n < 20; n++) p.wake(key(n));
    await tick();
    // WARM_ENI_TARGET=1 + 20 waiting = 29 free needed: 4 whole ENIs of 9.
    expect(started.map((a) => a.kind)).toEqual(["create-eni", "create-eni", "create-eni", "create-eni"]);
    expect(started.map((a) => (a.kind === "create-eni" ? a.deviceIndex : -1))).toEqual([1, 2, 3, 4]);
    expect(p.lastPlan?.deficit).toBe(29);
    void p.stop(); // the round never ends here; just no more rounds
  });

  it("pods scheduled here without an address are planned for before any ADD; refused ones among them count once", async () => {
    const started: PlanAction[] = [];
    const scheduled = 18;
    const p = testPoolLoop(
      fullPrimary(),
      LIMITS,
      {
        apply: (a) => {
          started.push(a);
          return new Promise(() => undefined);
        },
      },
      { scheduledDemand: () => scheduled },
    );
    p.scheduledChanged();
    await tick();
    // As for 18 refused ADDs: WARM_ENI_TARGET=1 (9) + 18 = 27 free, 3 ENIs of 9.
    expect(started.map((a) => a.kind)).toEqual(["create-eni", "create-eni", "create-eni"]);
    expect(p.lastPlan?.deficit).toBe(27);
    // 5 of those pods' ADDs are refused meanwhile: still 18 pods (23 would need a 4th ENI).
    for (let n = 0; n < 5; n++) p.wake(key(n));
    await tick();
    expect(started).toHaveLength(3);
    void p.stop();
  });

  it("a pod retrying counts once; a pod that got its address no longer counts", async () => {
    const plans: number[] = [];
    const ds = fullPrimary();
    const p = loop(ds, async () => ({ scaledDown: false, changed: { enis: [], addresses: [] } }));
    for (let i = 0; i < 5; i++) p.wake(key(1));
    p.wake(key(2));
    await tick();
    plans.push(p.lastPlan?.deficit ?? -1);
    // key(2)'s pod gets an address (one freed by a DEL here), then only key(1) waits.
    ds.release(key(100), NOW - 60_000);
    ds.addIps("eni-0", ["10.0.0.40"]);
    expect(
      ds.assign({ key: key(2), pod: { namespace: "d", name: "w2" }, netns: "/n/w2", hostVeth: "vw2" }, NOW)
        .ok,
    ).toBe(true);
    p.wake(key(1));
    await tick();
    plans.push(p.lastPlan?.deficit ?? -1);
    // 9 warm + 2 waiting; then 9 warm + 1 waiting (key 1) - 1 free address left.
    expect(plans).toEqual([9 + 2, 9 + 1 - 1]);
    await p.stop();
  });

  it("a pod assigned and deleted between two rounds stops counting at once (forget), not after the TTL", async () => {
    const ds = fullPrimary();
    const p = loop(ds, async () => ({ scaledDown: false, changed: { enis: [], addresses: [] } }));
    p.wake(key(7));
    await tick();
    expect(p.lastPlan?.deficit).toBe(9 + 1);
    // The churn that broke scale-down in e2e: the pod got an address and was
    // deleted before any round ran, so the set never saw it assigned.
    p.forget(key(7)); // its ADD succeeded
    p.forget(key(7)); // its DEL (idempotent)
    void p.kick(false);
    await tick();
    expect(p.lastPlan?.deficit).toBe(9);
    await p.stop();
  });

  it("a burst of nudges (ADDs that took warm addresses) runs ONE plan-only round soon, which tops the pool up", async () => {
    const started: PlanAction[] = [];
    const p = loop(fullPrimary(), (a) => {
      started.push(a);
      return new Promise(() => undefined); // the attach never finishes: one round, one action
    });
    for (let i = 0; i < 10; i++) p.nudge();
    expect(started).toEqual([]); // not synchronously: one round for the burst
    await tick(NUDGE_MS * 3);
    // Nothing waits, but the full primary ENI leaves WARM_ENI_TARGET=1 unmet.
    expect(started.map((a) => a.kind)).toEqual(["create-eni"]);
    void p.stop();
  });

  it("demand that arrives while ENIs attach starts more ENIs at once, not after the round", async () => {
    const started: PlanAction[] = [];
    const p = loop(fullPrimary(), (a) => {
      started.push(a);
      return new Promise(() => undefined); // attaches never finish in this test
    });
    for (let n = 0; n < 5; n++) p.wake(key(n));
    await tick();
    // WARM_ENI_TARGET=1 + 5 waiting = 14 free: 2 ENIs.
    expect(started.map((a) => (a.kind === "create-eni" ? a.deviceIndex : -1))).toEqual([1, 2]);
    for (let n = 5; n < 25; n++) p.wake(key(n));
    await tick();
    // 9 warm + 25 waiting = 34 free; 18 are coming: 16 more = 2 ENIs, on new device indexes.
    expect(started.map((a) => (a.kind === "create-eni" ? a.deviceIndex : -1))).toEqual([1, 2, 3, 4]);
    void p.stop();
  });
});
