// A refused ADD is HELD while the pool grows (AddRequest.waitMs, capped by
// VPC_CNI_ADD_WAIT_SECONDS), and answered the moment an address lands; it is
// answered at once when the pool cannot grow, and stops waiting when its
// budget runs out or the plugin hangs up. Real Datastore and checkpoint; the
// pool signals are a stand-in the test drives.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IpamdHandlers, type PoolSignals } from "../../../ipamd/api/handlers.ts";
import type { IpamdResponse } from "../../../ipamd/api/protocol.ts";
import { Checkpoint } from "../../../ipamd/datastore/checkpoint.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { DurableDatastore } from "../../../ipamd/datastore/durable.ts";
import type { PodNetworkSpec, PodPlumbing } from "../../../ipamd/hostnet/types.ts";
import { silentLogger } from "../../../ipamd/log.ts";
import { IpamdMetrics } from "../../../ipamd/metrics/metrics.ts";
import { ENI_1 } from "./eni-fixture.ts";
import { addRequest } from "./request-fixture.ts";

const plumbing: PodPlumbing = {
  checkNamespace: () => undefined,
  add: async (spec: PodNetworkSpec) => ({
    hostInterface: { name: spec.hostVethName, mac: "aa:aa:aa:aa:aa:aa" },
    podInterface: { name: spec.ifName, mac: "bb:bb:bb:bb:bb:bb", sandbox: spec.netnsPath },
  }),
  del: async () => undefined,
  check: async () => [],
};

/** Pool signals the test drives: grow() lands addresses and wakes the held ADDs. */
class Pool implements PoolSignals {
  canGrow = true;
  wakes = 0;
  readonly #waiters = new Set<() => void>();
  readonly ds: Datastore;
  constructor(ds: Datastore) {
    this.ds = ds;
  }
  wake(): void {
    this.wakes++;
  }
  forget(): void {}
  explainShortage(): string {
    return "node i-1 (m5.large): no free address";
  }
  mayGrow(): boolean {
    return this.canGrow;
  }
  changed(maxMs: number, abort?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, maxMs);
      abort?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }
  grow(ips: string[]): void {
    this.ds.addIps("eni-1", ips);
    for (const w of [...this.#waiters]) w();
  }
}

describe("a refused ADD held while the pool grows", () => {
  let dir: string;
  let ds: Datastore;
  let pool: Pool;
  let metrics: IpamdMetrics;
  /** vpccni_adds_held and vpccni_adds_held_total{outcome} from the exposition text. */
  const heldMetrics = async () => {
    const text = await metrics.render();
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    return {
      now: num(/^vpccni_adds_held (\d+)$/m),
      assigned: num(/^vpccni_adds_held_total\{outcome="assigned"\} (\d+)$/m),
      gaveUp: num(/^vpccni_adds_held_total\{outcome="gave-up"\} (\d+)$/m),
      gone: num(/^vpccni_adds_held_total\{outcome="client-gone"\} (\d+)$/m),
    };
  };
  const handlers = (maxAddWaitMs: number) =>
    new IpamdHandlers({
      durable: new DurableDatastore(ds, new Checkpoint(join(dir, "cp.json"))),
      plumbing,
      pool,
      readiness: () => ({ ready: true }),
      metrics,
      log: silentLogger(),
      maxAddWaitMs,
    });
  const add = (h: IpamdHandlers, c: string, waitMs?: number, gone?: AbortSignal) =>
    h.handle(addRequest(c, waitMs === undefined ? {} : { waitMs }), gone);
  const ipOf = (r: IpamdResponse) => (r.ok && r.op === "add" ? r.result.ip : undefined);
  const codeOf = (r: IpamdResponse) => (r.ok ? 0 : r.error.code);
  const msgOf = (r: IpamdResponse) => (r.ok ? "" : r.error.msg);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ipamd-held-"));
    ds = new Datastore({ cooldownMs: 30_000 });
    ds.upsertEni({ ...ENI_1 });
    pool = new Pool(ds);
    metrics = new IpamdMetrics();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("answers with the address as soon as the pool grows, one address per held pod", async () => {
    const h = handlers(30_000);
    const t0 = performance.now();
    const held = ["c1", "c2", "c3"].map((c) => add(h, c, 5_000));
    await new Promise((r) => setTimeout(r, 30));
    expect((await heldMetrics()).now).toBe(3); // visible while they wait
    pool.grow(["10.0.1.5", "10.0.1.6"]);
    await new Promise((r) => setTimeout(r, 30));
    pool.grow(["10.0.1.7"]);
    const ips = (await Promise.all(held)).map(ipOf);
    expect(ips.slice().sort()).toEqual(["10.0.1.5", "10.0.1.6", "10.0.1.7"]);
    expect(await heldMetrics()).toEqual({ now: 0, assigned: 3, gaveUp: 0, gone: 0 });
    expect(performance.now() - t0).toBeLessThan(2_000); // not the budget: woken by grow()
  });

  it.each([
    { name: "the plugin asks for no wait (older plugin)", waitMs: undefined, cap: 30_000, canGrow: true },
    { name: "VPC_CNI_ADD_WAIT_SECONDS=0", waitMs: 5_000, cap: 0, canGrow: true },
    { name: "the pool cannot grow (node or subnet full)", waitMs: 5_000, cap: 30_000, canGrow: false },
  ])("answers try-again at once when $name", async ({ waitMs, cap, canGrow }) => {
    pool.canGrow = canGrow;
    const t0 = performance.now();
    const r = await add(handlers(cap), "c1", waitMs);
    expect(codeOf(r)).toBe(11);
    expect(msgOf(r)).toBe("node i-1 (m5.large): no free address");
    expect(performance.now() - t0).toBeLessThan(200);
    expect(pool.wakes).toBe(1);
    expect(await heldMetrics()).toEqual({ now: 0, assigned: 0, gaveUp: 0, gone: 0 }); // never held
  });

  it("gives up when its budget (the smaller of waitMs and the cap) runs out, saying how long it waited", async () => {
    const t0 = performance.now();
    const r = await add(handlers(400), "c1", 5_000);
    const ms = performance.now() - t0;
    expect(codeOf(r)).toBe(11);
    expect(msgOf(r)).toMatch(/^node i-1 \(m5\.large\): no free address \(held \d+ ms\)$/);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(2_000);
    expect(await heldMetrics()).toEqual({ now: 0, assigned: 0, gaveUp: 1, gone: 0 });
  });

  it("stops waiting when the plugin hangs up, and takes no address afterwards", async () => {
    const gone = new AbortController();
    const held = add(handlers(30_000), "c1", 10_000, gone.signal);
    await new Promise((r) => setTimeout(r, 50));
    gone.abort();
    pool.grow(["10.0.1.5"]); // an address lands in the same instant: still not for a plugin that left
    const r = await held;
    expect(codeOf(r)).toBe(11);
    expect(ds.assignments()).toEqual([]);
    expect(await heldMetrics()).toEqual({ now: 0, assigned: 0, gaveUp: 0, gone: 1 });
  });
});
