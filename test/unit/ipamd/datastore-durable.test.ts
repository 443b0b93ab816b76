// DurableDatastore: an answer only after the checkpoint write that includes
// the change has finished; concurrent changes share writes; a failed write
// undoes the change.

import { describe, expect, it } from "vitest";
import type { Checkpoint, SaveResult } from "../../../ipamd/datastore/checkpoint.ts";
import { CheckpointError } from "../../../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { DurableDatastore } from "../../../ipamd/datastore/durable.ts";
import type { AssignRequest, DatastoreState } from "../../../ipamd/datastore/types.ts";

/** A checkpoint whose saves finish only when the test says so. */
class GatedCheckpoint {
  saved: DatastoreState[] = [];
  pending: { state: DatastoreState; finish: (ok: boolean) => void }[] = [];
  save(state: DatastoreState): Promise<SaveResult> {
    return new Promise((resolve) => {
      this.pending.push({
        state,
        finish: (ok) => {
          if (ok) this.saved.push(state);
          resolve(ok ? { ok: true } : { ok: false, error: new CheckpointError("io", "/x", "disk full") });
        },
      });
    });
  }
  finishNext(ok = true) {
    const p = this.pending.shift();
    if (!p) throw new Error("no save in flight");
    p.finish(ok);
  }
}

const req = (id: string): AssignRequest => ({
  key: { network: "aws-cni", containerId: id, ifName: "eth0" },
  pod: { namespace: "d", name: id },
  netns: "/n",
  hostVeth: `v${id}`,
});

function setup() {
  const ds = new Datastore({ cooldownMs: 30_000 });
  ds.upsertEni({
    id: "eni-0",
    mac: "m",
    deviceIndex: 0,
    primary: true,
    subnetId: "s",
    subnetCidr: "10.0.0.0/24",
    primaryIp: "10.0.0.1",
    attachedAtMs: 0,
  });
  ds.addIps("eni-0", ["10.0.0.10", "10.0.0.11", "10.0.0.12"]);
  const cp = new GatedCheckpoint();
  const dds = new DurableDatastore(ds, cp as unknown as Checkpoint, () => 1000);
  return { ds, cp, dds };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("DurableDatastore", () => {
  it("answers an ADD only after the write containing it finished", async () => {
    const { cp, dds } = setup();
    let done = false;
    const p = dds.assign(req("a")).then((r) => {
      done = true;
      return r;
    });
    await tick();
    expect(done).toBe(false);
    expect(cp.pending[0]?.state.assignments.map((a) => a.key.containerId)).toEqual(["a"]);
    cp.finishNext();
    expect(await p).toMatchObject({ ok: true, assignment: { ip: "10.0.0.10" } });
  });

  it("group commit: changes made during a write share the next one", async () => {
    const { cp, dds } = setup();
    const first = dds.assign(req("a"));
    await tick();
    const rest = [dds.assign(req("b")), dds.assign(req("c"))];
    await tick();
    expect(cp.pending).toHaveLength(1);
    cp.finishNext();
    await first;
    await tick();
    expect(cp.pending).toHaveLength(1);
    expect(cp.pending[0]?.state.assignments.map((a) => a.key.containerId).sort()).toEqual(["a", "b", "c"]);
    cp.finishNext();
    expect((await Promise.all(rest)).every((r) => r.ok)).toBe(true);
    expect(cp.saved).toHaveLength(2);
  });

  it("a failed write undoes the ADD: the address is free again, not cooling", async () => {
    const { ds, cp, dds } = setup();
    const p = dds.assign(req("a"));
    await tick();
    cp.finishNext(false);
    expect(await p).toMatchObject({ ok: false, reason: "persist-failed", error: { kind: "io" } });
    expect(ds.get(req("a").key)).toBeUndefined();
    expect(ds.counts(1000)).toMatchObject({ assigned: 0, available: 3, cooldown: 0 });
  });

  it("a failed write undoes the DEL and the GC: the pod keeps its address", async () => {
    const { ds, cp, dds } = setup();
    const a = dds.assign(req("a"));
    await tick();
    cp.finishNext();
    await a;
    const del = dds.release(req("a").key);
    await tick();
    cp.finishNext(false);
    expect(await del).toMatchObject({ ok: false, reason: "persist-failed" });
    expect(ds.get(req("a").key)?.ip).toBe("10.0.0.10");
    const gc = dds.gc("aws-cni", []);
    await tick();
    cp.finishNext(false);
    expect(await gc).toMatchObject({ ok: false, reason: "persist-failed" });
    expect(ds.get(req("a").key)?.ip).toBe("10.0.0.10");
    const gc2 = dds.gc("aws-cni", []);
    await tick();
    cp.finishNext();
    expect(await gc2).toMatchObject({ ok: true, released: [{ ip: "10.0.0.10" }] });
    expect(await dds.release(req("a").key)).toEqual({ ok: false, reason: "not-found" });
  });
});
