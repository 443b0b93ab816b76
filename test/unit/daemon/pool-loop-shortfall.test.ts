// PoolLoop.shortfallNow decides whether an ADD that found no address is
// EXHAUSTION (Event, IPAMExhausted condition, NodeIPAM status) or a transient
// shortage the pool is about to fix. Seen in the demo before this rule: an
// "InstanceLimit" Event at 18 of 27 addresses while a third ENI was attaching.
import { describe, expect, it } from "vitest";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import type { Executor } from "../../../ipamd/executor/executor.ts";
import type { PlanAction } from "../../../ipamd/planner/types.ts";
import { assignPods, M5_LARGE, NOW, testPoolLoop } from "./pool-loop-fixture.ts";

// m5.large: 3 ENIs x 10 addresses (9 for pods); WARM_ENI_TARGET=1 (the default).
const LIMITS = M5_LARGE;

/** A node with `enis` ENIs, each holding 9 addresses, all given to pods. */
function fullEnis(enis: number): Datastore {
  const ds = new Datastore({ cooldownMs: 30_000 });
  for (let d = 0; d < enis; d++) {
    const id = `eni-${d}`;
    ds.upsertEni({
      id,
      mac: `02:00:00:00:00:0${d}`,
      deviceIndex: d,
      primary: d === 0,
      subnetId: "subnet-a",
      subnetCidr: "10.0.0.0/16",
      primaryIp: `10.0.${d}.4`,
      attachedAtMs: 0,
    });
    ds.addIps(
      id,
      Array.from({ length: 9 }, (_, i) => `10.0.${d}.${10 + i}`),
    );
  }
  assignPods(ds, enis * 9);
  return ds;
}

const loop = (ds: Datastore, executor: Pick<Executor, "apply">) => testPoolLoop(ds, LIMITS, executor);

const never: Pick<Executor, "apply"> = { apply: () => new Promise(() => undefined) };

describe("PoolLoop.shortfallNow: exhaustion only when the pool cannot grow", () => {
  it("2 of 3 ENIs full, nothing running: the next round can attach the 3rd ENI -> not exhausted", () => {
    expect(loop(fullEnis(2), never).shortfallNow(NOW)).toBeUndefined();
  });

  it("2 of 3 ENIs full, the 3rd ENI being attached -> not exhausted (the demo's false Event)", async () => {
    let started!: (a: PlanAction) => void;
    const running = new Promise<PlanAction>((r) => {
      started = r;
    });
    const p = loop(fullEnis(2), {
      apply: (a) => {
        started(a);
        return new Promise(() => undefined); // the attach never finishes in this test
      },
    });
    void p.kick(false);
    expect((await running).kind).toBe("create-eni");
    expect(p.shortfallNow(NOW)).toBeUndefined();
  });

  it("3 of 3 ENIs full: nothing left to grow -> exhausted at the instance limit, with the numbers", () => {
    const sf = loop(fullEnis(3), never).shortfallNow(NOW);
    expect(sf?.cause).toBe("instance-limit");
    expect(sf?.message).toContain("27 of its 27");
  });
});
