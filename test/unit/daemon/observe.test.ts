import { describe, expect, it } from "vitest";
import type { NetworkInterface } from "../../../cloud/ec2/types.ts";
import type { ImdsEni } from "../../../cloud/imds/types.ts";
import { KeyedLock } from "../../../ipamd/api/keylock.ts";
import { routeTableOf, subnetGateway, vethNameFor } from "../../../ipamd/api/pod-spec.ts";
import { Datastore } from "../../../ipamd/datastore/datastore.ts";
import { isLoopback } from "../../../ipamd/introspection/server.ts";
import { podRoutes, RECOVERED_NETWORK, sweepPlaceholders } from "../../../ipamd/recovery/host-scan.ts";
import {
  combineViews,
  dropKnownUnmanaged,
  ownsAddress,
  reservedDeviceIndexes,
  TAG_NO_MANAGE,
} from "../../../ipamd/recovery/observe.ts";

function imds(id: string, dev: number, ips: string[], over: Partial<ImdsEni> = {}): ImdsEni {
  return {
    mac: `02:00:00:00:00:0${dev}`,
    deviceNumber: dev,
    networkCard: 0,
    interfaceId: id,
    subnetId: "subnet-1",
    subnetCidr: "10.0.1.0/24",
    localIpv4s: ips,
    ipv4Prefixes: [],
    securityGroupIds: ["sg-1"],
    vpcCidrs: ["10.0.0.0/16"],
    ...over,
  };
}
function ec2(
  id: string,
  primary: string,
  secondary: string[],
  tags: Record<string, string> = {},
): NetworkInterface {
  return {
    id,
    subnetId: "subnet-1",
    vpcId: "vpc-1",
    availabilityZone: "az",
    macAddress: "",
    status: "in-use",
    description: "",
    primaryIp: primary,
    secondaryIps: secondary,
    prefixes: [],
    securityGroupIds: [],
    tags,
  };
}

describe("combineViews (IMDS x EC2)", () => {
  it("pools only addresses both agree on, but counts either as owned", () => {
    const o = combineViews(
      [imds("eni-0", 0, ["10.0.1.10", "10.0.1.5", "10.0.1.6"])],
      [ec2("eni-0", "10.0.1.10", ["10.0.1.6", "10.0.1.7"])],
      1000,
    );
    expect(o.pool[0]?.ips).toEqual(["10.0.1.6"]);
    expect(o.pool[0]).toMatchObject({ primary: true, primaryIp: "10.0.1.10", attachedAtMs: 1000 });
    expect([...o.owned].sort()).toEqual(["10.0.1.5", "10.0.1.6", "10.0.1.7"]);
  });

  it("skips ENIs EC2 does not show attached, other network cards, and no_manage ones", () => {
    const o = combineViews(
      [
        imds("eni-0", 0, ["10.0.1.10"]),
        imds("eni-1", 1, ["10.0.1.11"]),
        imds("eni-2", 2, ["10.0.1.12"], { networkCard: 1 }),
        imds("eni-3", 3, ["10.0.1.13"]),
      ],
      [ec2("eni-0", "10.0.1.10", []), ec2("eni-3", "10.0.1.13", [], { [TAG_NO_MANAGE]: "true" })],
      0,
    );
    expect(o.pool.map((e) => e.id)).toEqual(["eni-0"]);
    expect(o.skipped.map((s) => s.eniId)).toEqual(["eni-1", "eni-2", "eni-3"]);
  });

  it("falls back to IMDS alone when EC2 is unavailable", () => {
    const o = combineViews([imds("eni-0", 0, ["10.0.1.10", "10.0.1.5"])], undefined, 0);
    expect(o.imdsOnly).toBe(true);
    expect(o.pool[0]?.ips).toEqual(["10.0.1.5"]);
  });

  it("takes the ENI age from its createdAt tag", () => {
    const o = combineViews(
      [imds("eni-1", 1, ["10.0.1.11"])],
      [ec2("eni-1", "10.0.1.11", [], { "node.k8s.amazonaws.com/createdAt": "1970-01-01T00:00:05Z" })],
      10_000,
    );
    expect(o.pool[0]?.attachedAtMs).toBe(5000);
  });

  // AWS hasRoomForEni: maxENI - unmanagedENI. An attached ENI outside the
  // pool still takes a device index (and an ENI slot) on its card.
  it.each([
    {
      name: "no_manage ENI at device 1",
      imds: [imds("eni-0", 0, ["10.0.1.10"]), imds("eni-u", 1, ["10.0.1.11", "10.0.1.30"])],
      ec2: [
        ec2("eni-0", "10.0.1.10", []),
        ec2("eni-u", "10.0.1.11", ["10.0.1.30"], { [TAG_NO_MANAGE]: "true" }),
      ],
      pool: ["eni-0"],
      unmanaged: ["eni-u"],
      reserved: [1],
    },
    {
      name: "no_manage=false is managed",
      imds: [imds("eni-0", 0, ["10.0.1.10"]), imds("eni-1", 1, ["10.0.1.11"])],
      ec2: [ec2("eni-0", "10.0.1.10", []), ec2("eni-1", "10.0.1.11", [], { [TAG_NO_MANAGE]: "false" })],
      pool: ["eni-0", "eni-1"],
      unmanaged: [],
      reserved: [],
    },
    {
      name: "other network cards do not count against card 0",
      imds: [imds("eni-0", 0, ["10.0.1.10"]), imds("eni-c1", 0, ["10.0.1.12"], { networkCard: 1 })],
      ec2: [ec2("eni-0", "10.0.1.10", []), ec2("eni-c1", "10.0.1.12", [])],
      pool: ["eni-0"],
      unmanaged: [],
      reserved: [],
    },
    {
      name: "an ENI EC2 does not show attached (detaching) still holds its index",
      imds: [imds("eni-0", 0, ["10.0.1.10"]), imds("eni-d", 2, ["10.0.1.13"])],
      ec2: [ec2("eni-0", "10.0.1.10", [])],
      pool: ["eni-0"],
      unmanaged: [],
      reserved: [2],
    },
  ])("reserves device indexes: $name", (c) => {
    const o = combineViews(c.imds, c.ec2, 0);
    expect(o.pool.map((e) => e.id)).toEqual(c.pool);
    expect(o.unmanaged).toEqual(c.unmanaged);
    expect(o.reservedDeviceIndexes).toEqual(c.reserved);
  });

  it("reservedDeviceIndexes: card-0 indexes of ENIs outside the pool, ascending, once", () => {
    const list = [
      imds("eni-0", 0, []),
      imds("eni-3", 3, []),
      imds("eni-1", 1, []),
      imds("eni-x", 1, [], { networkCard: 1 }),
    ];
    expect(reservedDeviceIndexes(list, ["eni-0"])).toEqual([1, 3]);
    expect(reservedDeviceIndexes(list, ["eni-0", "eni-1", "eni-3"])).toEqual([]);
  });

  it("without EC2, ENIs known to be no_manage stay out of the pool", () => {
    const list = [imds("eni-0", 0, ["10.0.1.10", "10.0.1.5"]), imds("eni-u", 1, ["10.0.1.11", "10.0.1.30"])];
    const seen = combineViews(list, undefined, 0);
    expect(seen.pool.map((e) => e.id)).toEqual(["eni-0", "eni-u"]); // tags unknown
    const o = dropKnownUnmanaged(seen, new Set(["eni-u"]));
    expect(o.pool.map((e) => e.id)).toEqual(["eni-0"]);
    expect([...o.owned]).toEqual(["10.0.1.5"]);
    expect(o.reservedDeviceIndexes).toEqual([1]);
    expect(o.unmanaged).toEqual(["eni-u"]);
    expect(o.skipped.map((x) => x.eniId)).toEqual(["eni-u"]);
    // With EC2's view the tags decide; nothing known or nothing to drop: unchanged.
    const withEc2 = combineViews(list, [ec2("eni-0", "10.0.1.10", ["10.0.1.5"])], 0);
    expect(dropKnownUnmanaged(withEc2, new Set(["eni-u"]))).toBe(withEc2);
    expect(dropKnownUnmanaged(seen, new Set())).toBe(seen);
  });

  it("ownsAddress covers /28 prefixes", () => {
    const owned = new Set(["10.0.1.5", "10.0.2.16/28"]);
    expect(ownsAddress(owned, "10.0.1.5")).toBe(true);
    expect(ownsAddress(owned, "10.0.2.31")).toBe(true);
    expect(ownsAddress(owned, "10.0.2.32")).toBe(false);
  });
});

describe("host scan after a lost checkpoint", () => {
  const links = [
    { index: 5, name: "eni1234567890a", mac: undefined, mtu: 9001, up: true, kind: "veth" },
    { index: 6, name: "eth1", mac: undefined, mtu: 9001, up: true, kind: "veth" },
    { index: 7, name: "eni999", mac: undefined, mtu: 9001, up: true, kind: undefined },
  ];
  it("finds pod /32 routes to our veths only", () => {
    const routes = [
      { dst: "10.0.1.5/32", table: 254, oif: 5, gateway: undefined, scope: "link" as const },
      { dst: "10.0.1.6/32", table: 254, oif: 6, gateway: undefined, scope: "link" as const },
      { dst: "10.0.1.7/32", table: 254, oif: 7, gateway: undefined, scope: "link" as const },
      { dst: "10.0.1.0/24", table: 254, oif: 5, gateway: undefined, scope: "link" as const },
      { dst: "10.0.1.8/32", table: 2, oif: 5, gateway: undefined, scope: "link" as const },
      { dst: "10.0.1.9/32", table: 254, oif: 5, gateway: "10.0.1.1", scope: "universe" as const },
    ];
    expect(podRoutes(routes, links, "eni")).toEqual([{ ip: "10.0.1.5", hostVeth: "eni1234567890a" }]);
  });

  it("sweeps placeholders whose veth is gone, never real assignments", () => {
    const ds = new Datastore({ cooldownMs: 0 });
    ds.upsertEni({
      id: "eni-0",
      mac: "m",
      deviceIndex: 0,
      primary: true,
      subnetId: "s",
      subnetCidr: "10.0.1.0/24",
      primaryIp: "10.0.1.100",
      attachedAtMs: 0,
    });
    ds.addIps("eni-0", ["10.0.1.5", "10.0.1.6"]);
    const base = { eniId: "eni-0", pod: { namespace: "", name: "" }, netns: "", assignedAtMs: 0 };
    ds.reinstate({
      ...base,
      key: { network: RECOVERED_NETWORK, containerId: "r1", ifName: "eth0" },
      ip: "10.0.1.5",
      hostVeth: "enigone",
    });
    ds.reinstate({
      ...base,
      key: { network: "aws-cni", containerId: "c1", ifName: "eth0" },
      ip: "10.0.1.6",
      hostVeth: "enialsogone",
    });
    expect(sweepPlaceholders(ds, new Set(["eth0"]), 0).map((a) => a.ip)).toEqual(["10.0.1.5"]);
    expect(ds.assignments().map((a) => a.ip)).toEqual(["10.0.1.6"]);
  });
});

describe("small pure helpers", () => {
  it("subnet gateway is network + 1", () => {
    expect(subnetGateway("10.0.1.0/24")).toBe("10.0.1.1");
    expect(subnetGateway("10.0.1.77/26")).toBe("10.0.1.65");
    expect(() => subnetGateway("nope")).toThrow();
  });
  it("route table: main for the primary ENI, device + 1 otherwise", () => {
    expect(routeTableOf({ primary: true, deviceIndex: 0 })).toBe(254);
    expect(routeTableOf({ primary: false, deviceIndex: 2 })).toBe(3);
  });
  it("veth names: AWS scheme for pods, container id otherwise", () => {
    const key = { network: "n", containerId: "abc", ifName: "eth0" };
    expect(vethNameFor("eni", { namespace: "default", name: "p" }, key)).toMatch(/^eni[0-9a-f]{11}$/);
    expect(vethNameFor("eni", { namespace: "", name: "" }, key)).not.toBe(
      vethNameFor("eni", { namespace: "", name: "" }, { ...key, containerId: "abd" }),
    );
  });
  it("introspection accepts loopback only", () => {
    expect(isLoopback("127.0.0.1")).toBe(true);
    expect(isLoopback("127.1.2.3")).toBe(true);
    expect(isLoopback("::1")).toBe(true);
    expect(isLoopback("0.0.0.0")).toBe(false);
    expect(isLoopback("10.0.0.1")).toBe(false);
  });
  it("KeyedLock serialises one key and lets others run", async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    const slow = (tag: string, ms: number) => async () => {
      order.push(`${tag}>`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`<${tag}`);
    };
    await Promise.all([
      lock.run("k", slow("a", 20)),
      lock.run("k", slow("b", 1)),
      lock.run("j", slow("c", 1)),
    ]);
    expect(order.indexOf("<a")).toBeLessThan(order.indexOf("b>"));
    expect(order.indexOf("c>")).toBeLessThan(order.indexOf("<a"));
    expect(lock.busy("k")).toBe(false);
  });
});
