// ADD persists and plumbs side by side (ipamd/api/handlers.ts). What must
// hold: the answer waits for both; a failed save undoes the plumbing and the
// assignment (or keeps the address held when the undo fails too); and a crash
// between the two halves, in either order, recovers without losing or
// doubling an address.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IpamdHandlers } from "../../../ipamd/api/handlers.ts";
import type { IpamdResponse } from "../../../ipamd/api/protocol.ts";
import { Checkpoint, type CheckpointFs, nodeCheckpointFs } from "../../../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { DurableDatastore } from "../../../ipamd/datastore/durable.ts";
import type { PodNetworkSpec, PodPlumbing } from "../../../ipamd/hostnet/types.ts";
import { silentLogger } from "../../../ipamd/log.ts";
import { IpamdMetrics } from "../../../ipamd/metrics/metrics.ts";
import { holdHostPods } from "../../../ipamd/recovery/host-scan.ts";
import { ENI_1 } from "./eni-fixture.ts";
import { addRequest, key, link } from "./request-fixture.ts";

const ENI = ENI_1;

/** A gate: open() lets everything waiting on wait() go on. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { wait: () => p, open };
}

class StepPlumbing implements PodPlumbing {
  log: string[] = [];
  addGate: Promise<void> = Promise.resolve();
  failDel = false;
  checkNamespace() {}
  async add(spec: PodNetworkSpec) {
    this.log.push(`add-start ${spec.podIp}`);
    await this.addGate;
    this.log.push(`add-done ${spec.podIp}`);
    return {
      hostInterface: { name: spec.hostVethName, mac: "aa:aa:aa:aa:aa:aa" },
      podInterface: { name: spec.ifName, mac: "bb:bb:bb:bb:bb:bb", sandbox: spec.netnsPath },
    };
  }
  async del(spec: PodNetworkSpec) {
    this.log.push(`del ${spec.podIp}`);
    if (this.failDel) throw new Error("EBUSY");
  }
  async check() {
    return [];
  }
}

describe("ADD: persist and plumb concurrently", () => {
  let dir: string;
  let file: string;
  let ds: Datastore;
  let plumbing: StepPlumbing;
  /** Controls the checkpoint's write: hold it, or make it fail. */
  let fsCtl: { hold?: Promise<void>; fail?: boolean; saves: number };

  const handlers = (cp: Checkpoint) =>
    new IpamdHandlers({
      durable: new DurableDatastore(ds, cp),
      plumbing,
      pool: {
        wake: () => undefined,
        forget: () => undefined,
        explainShortage: () => "short",
        mayGrow: () => false,
        changed: async () => undefined,
      },
      readiness: () => ({ ready: true }),
      metrics: new IpamdMetrics(),
      log: silentLogger(),
    });
  const add = (h: IpamdHandlers, c: string) => h.handle(addRequest(c));
  const ipOf = (r: IpamdResponse) => (r.ok && r.op === "add" ? r.result.ip : undefined);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ipamd-hc-"));
    file = join(dir, "cp.json");
    ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni(ENI);
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    plumbing = new StepPlumbing();
    fsCtl = { saves: 0 };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Every save passes here before anything of it reaches the file: hold it, or make it fail. */
  const gateSave = async () => {
    fsCtl.saves++;
    await fsCtl.hold;
    if (fsCtl.fail) throw new Error("EIO");
  };
  const controlledFs: CheckpointFs = {
    ...nodeCheckpointFs,
    async createSlot(file, data) {
      await gateSave();
      return nodeCheckpointFs.createSlot(file, data);
    },
    async openSlot(file) {
      const slot = await nodeCheckpointFs.openSlot(file);
      return {
        ...slot,
        async write(data) {
          await gateSave();
          return slot.write(data);
        },
      };
    },
  };

  it("plumbing starts while the checkpoint write is still in flight; the answer waits for both", async () => {
    const save = gate();
    fsCtl.hold = save.wait();
    const h = handlers(new Checkpoint(file, controlledFs));
    let answered = false;
    const p = add(h, "c1").then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(plumbing.log).toEqual(["add-start 10.0.1.5", "add-done 10.0.1.5"]);
    expect(answered).toBe(false); // plumbed, not yet on disk: no answer
    save.open();
    expect(ipOf(await p)).toBe("10.0.1.5");
    expect((await new Checkpoint(file).load()).ok).toBe(true);
  });

  it("a failed save undoes the plumbing and the assignment: nothing held, nothing on the host", async () => {
    fsCtl.fail = true;
    const h = handlers(new Checkpoint(file, controlledFs));
    const r = await add(h, "c1");
    expect(!r.ok && r.error.code).toBe(5); // IO_FAILURE
    expect(plumbing.log).toContain("del 10.0.1.5");
    expect(ds.get(key("c1"))).toBeUndefined();
    expect(ds.counts(Date.now())).toMatchObject({ assigned: 0, available: 2 });
  });

  it("a failed save whose plumbing cannot be undone keeps the address held (its route may exist)", async () => {
    fsCtl.fail = true;
    plumbing.failDel = true;
    const h = handlers(new Checkpoint(file, controlledFs));
    const r = await add(h, "c1");
    expect(r.ok).toBe(false);
    expect(ds.get(key("c1"))?.ip).toBe("10.0.1.5");
    // The runtime DELs the failed ADD; once unplumbing works the address is released.
    plumbing.failDel = false;
    fsCtl.fail = false;
    const d = await h.handle({
      v: 1,
      op: "del",
      key: key("c1"),
      netns: "/x",
      pod: { namespace: "d", name: "c1" },
      link,
    });
    expect(d.ok).toBe(true);
    expect(ds.get(key("c1"))).toBeUndefined();
  });

  it("crash after persist, before plumbing finished: the restart holds the address; the retried ADD gets the same one", async () => {
    plumbing.addGate = new Promise<void>(() => undefined); // plumbing never finishes: "crash"
    const h = handlers(new Checkpoint(file, controlledFs));
    void add(h, "c1");
    await new Promise((r) => setTimeout(r, 50));
    expect(fsCtl.saves).toBe(1);
    // Restart: a fresh datastore from the checkpoint.
    const loaded = await new Checkpoint(file).load();
    expect(loaded.ok).toBe(true);
    ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni(ENI);
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    if (loaded.ok) ds.restore(loaded.state, Date.now());
    plumbing = new StepPlumbing();
    const h2 = handlers(new Checkpoint(file));
    expect(ipOf(await add(h2, "c1"))).toBe("10.0.1.5");
    expect(ipOf(await add(h2, "c2"))).toBe("10.0.1.6");
  });

  it("crash after plumbing, before the save: the host scan's placeholder holds the address, never reassigned", async () => {
    fsCtl.hold = new Promise<void>(() => undefined); // the save never lands: "crash"
    const h = handlers(new Checkpoint(file, controlledFs));
    void add(h, "c1");
    await new Promise((r) => setTimeout(r, 50));
    expect(plumbing.log).toEqual(["add-start 10.0.1.5", "add-done 10.0.1.5"]);
    // Restart with no checkpoint: the pod's /32 route to its veth is what the host scan finds.
    expect((await new Checkpoint(file).load()).ok && (await new Checkpoint(file).load())).toMatchObject({
      state: { assignments: [] },
    });
    ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni(ENI);
    ds.addIps("eni-1", ["10.0.1.5", "10.0.1.6"]);
    expect(holdHostPods(ds, [{ ip: "10.0.1.5", hostVeth: "eni0123456789a" }], Date.now())).toHaveLength(1);
    plumbing = new StepPlumbing();
    const h2 = handlers(new Checkpoint(file));
    expect(ipOf(await add(h2, "c1"))).toBe("10.0.1.6");
    const third = await add(h2, "c3");
    expect(third.ok).toBe(false); // 10.0.1.5 stays held by the placeholder
  });
});
