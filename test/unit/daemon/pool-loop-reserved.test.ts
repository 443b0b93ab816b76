// The pool loop keeps ENIs ipamd does not manage (tagged no_manage) out of
// its plans: each resync gives the planner their device indexes (counted
// against the ENI limit, never chosen for a new ENI), and a resync that has
// IMDS alone (EC2 failing) does not adopt an ENI EC2 last showed unmanaged.
import { describe, expect, it } from "vitest";
import type { NetworkInterface } from "../../../cloud/ec2/types.ts";
import type { ImdsEni } from "../../../cloud/imds/types.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { reconcile } from "../../../ipamd/datastore/reconcile.ts";
import type { EniHost } from "../../../ipamd/executor/eni-host.ts";
import type { PlanAction } from "../../../ipamd/planner/types.ts";
import { combineViews, type Observation, TAG_NO_MANAGE } from "../../../ipamd/recovery/observe.ts";
import { assignPods, defaultPoolState, M5_LARGE, NOW, testPoolLoop } from "./pool-loop-fixture.ts";

// m5.large: 3 ENIs x 10 addresses (9 for pods).
const LIMITS = M5_LARGE;

function imds(id: string, dev: number, ips: string[]): ImdsEni {
  return {
    mac: `02:00:00:00:00:0${dev}`,
    deviceNumber: dev,
    networkCard: 0,
    interfaceId: id,
    subnetId: "subnet-a",
    subnetCidr: "10.0.0.0/16",
    localIpv4s: ips,
    ipv4Prefixes: [],
    securityGroupIds: ["sg-1"],
    vpcCidrs: ["10.0.0.0/16"],
  };
}
function ec2(
  id: string,
  [primary, ...secondary]: string[],
  tags: Record<string, string> = {},
): NetworkInterface {
  return {
    id,
    subnetId: "subnet-a",
    vpcId: "vpc-1",
    availabilityZone: "az",
    macAddress: "",
    status: "in-use",
    description: "",
    primaryIp: primary ?? "",
    secondaryIps: secondary,
    prefixes: [],
    securityGroupIds: [],
    tags,
  };
}

const primaryIps = ["10.0.0.4", ...Array.from({ length: 9 }, (_, i) => `10.0.0.${10 + i}`)];
const unmanagedIps = ["10.0.1.4", "10.0.1.10", "10.0.1.11"];
const IMDS = [imds("eni-0", 0, primaryIps), imds("eni-u", 1, unmanagedIps)];
const EC2 = [ec2("eni-0", primaryIps), ec2("eni-u", unmanagedIps, { [TAG_NO_MANAGE]: "true" })];

function setup(views: (() => Observation)[]) {
  const ds = new Datastore({ cooldownMs: 30_000 });
  reconcile(ds, combineViews(IMDS, EC2, 0).pool);
  assignPods(ds, 9);
  const state = defaultPoolState(LIMITS);
  const applied: PlanAction[] = [];
  let n = 0;
  const loop = testPoolLoop(
    ds,
    LIMITS,
    {
      apply: async (a: PlanAction) => {
        applied.push(a);
        throw new Error("test: EC2 not reached");
      },
    },
    {
      host: { setup: async () => undefined, teardown: async () => undefined } as unknown as EniHost,
      observe: async () => views[Math.min(n++, views.length - 1)]!(),
      state,
    },
  );
  return { ds, state, loop, applied };
}

describe("PoolLoop: ENIs tagged no_manage", () => {
  it("a resync reserves the unmanaged ENI's device index: the new ENI goes to device 2", async () => {
    const { state, loop, applied } = setup([() => combineViews(IMDS, EC2, NOW)]);
    await loop.kick(true);
    expect(state.reservedDeviceIndexes).toEqual([1]);
    expect(
      applied.filter((a) => a.kind === "create-eni").map((a) => a.kind === "create-eni" && a.deviceIndex),
    ).toEqual([2]);
  });

  it("a later resync with IMDS alone does not adopt it (its addresses never go to pods)", async () => {
    const { ds, state, loop } = setup([
      () => combineViews(IMDS, EC2, NOW),
      () => combineViews(IMDS, undefined, NOW),
    ]);
    await loop.kick(true);
    await loop.kick(true);
    expect(ds.enis().map((e) => e.id)).toEqual(["eni-0"]);
    expect(state.reservedDeviceIndexes).toEqual([1]);
  });

  it("seeded before any resync (the daemon's start), the first round already avoids it", async () => {
    const { state, loop, applied } = setup([]);
    state.reservedDeviceIndexes = [1];
    await loop.kick(false);
    expect(applied.map((a) => a.kind === "create-eni" && a.deviceIndex)).toEqual([2]);
  });
});
