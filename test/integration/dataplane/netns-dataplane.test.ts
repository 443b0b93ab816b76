// The VPC data plane driven directly through its hooks with hand-built ENIs:
// two instances on two subnets, a secondary ENI with secondary IPs and a /28
// prefix, traffic across instances through the router (0 % loss, no tunnel),
// the internet behind the router's internet gateway (only primary ENIs'
// primary IPs get out), detach, and cleanup.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataPlaneError } from "../../../cloud/emulator/dataplane/errors.ts";
import {
  createNetnsDataPlane,
  type NetnsDataPlane,
} from "../../../cloud/emulator/dataplane/netns-dataplane.ts";
import { createNetns, ip, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { addrs, eni, links, netnsExists, pingLoss, routes, runPrefix } from "./helpers.ts";

/** Echo requests from `saddr` the internet host received while `traffic` ran (nft counter in its namespace). */
function seenAtInternet(dp: NetnsDataPlane, saddr: string, traffic: () => void): number {
  const nft = (args: string[]) =>
    execFileSync("ip", ["netns", "exec", dp.internet.netns, "nft", ...args], { encoding: "utf8" });
  nft(["add", "table", "ip", "seen"]);
  try {
    nft(["add", "chain", "ip", "seen", "c", "{ type filter hook prerouting priority -300; }"]);
    nft(["add", "rule", "ip", "seen", "c", "ip", "saddr", saddr, "icmp", "type", "echo-request", "counter"]);
    traffic();
    return Number(/packets (\d+)/.exec(nft(["list", "table", "ip", "seen"]))?.[1] ?? Number.NaN);
  } finally {
    nft(["delete", "table", "ip", "seen"]);
  }
}

describe.skipIf(!canUseNetns)("netns VPC data plane (hooks called directly)", () => {
  let dp: NetnsDataPlane;
  let a: TestNetns;
  let b: TestNetns;
  let c: TestNetns;
  const a0 = eni({ eniId: "eni-a0", instanceId: "i-a", primaryIp: "10.0.1.10" });
  const b0 = eni({ eniId: "eni-b0", instanceId: "i-b", primaryIp: "10.0.2.10" });
  const c0 = eni({ eniId: "eni-c0", instanceId: "i-c", primaryIp: "10.0.1.30" });
  const a1 = eni({ eniId: "eni-a1", instanceId: "i-a", primaryIp: "10.0.1.20", deviceIndex: 1 });
  const bindMs: number[] = [];

  beforeAll(async () => {
    a = createNetns("dpa");
    b = createNetns("dpb");
    c = createNetns("dpc");
    dp = createNetnsDataPlane({ prefix: runPrefix() });
    for (const [id, ns, e] of [
      ["i-a", a, a0],
      ["i-b", b, b0],
      ["i-c", c, c0],
    ] as const) {
      const t0 = performance.now();
      await dp.bindInstance(id, ns.name, [e]);
      bindMs.push(performance.now() - t0);
    }
    console.log(
      `bindInstance (1 ENI each, first includes router ns): ${bindMs.map((m) => m.toFixed(1)).join(", ")} ms`,
    );
  });

  afterAll(async () => {
    await dp?.close();
    for (const ns of [a, b, c]) ns?.delete();
  });

  it("configures the primary ENI like the OS: MAC, address, default route via the gateway", () => {
    const eth0 = links(a.name).find((l) => l.ifname === "eth0");
    expect(eth0?.address).toBe(a0.mac);
    expect(addrs(a.name, "eth0")).toEqual(["10.0.1.10/24"]);
    expect(a.exec(["route", "show", "default"])).toContain("via 10.0.1.1 dev eth0");
  });

  it("routes primary IPs across subnets and on-link within a subnet with 0% loss", () => {
    expect(pingLoss(a.name, "10.0.2.10")).toBe(0);
    expect(pingLoss(b.name, "10.0.1.10")).toBe(0);
    // Same subnet: C ARPs for A directly; the router answers by proxy ARP and forwards.
    expect(pingLoss(c.name, "10.0.1.10")).toBe(0);
  });

  it("attaches a secondary ENI as a bare interface (MAC set, down, no address)", async () => {
    const t0 = performance.now();
    await dp.eniAttached(a1);
    console.log(`eniAttached: ${(performance.now() - t0).toFixed(1)} ms`);
    const eth1 = links(a.name).find((l) => l.ifname === "eth1");
    expect(eth1?.address).toBe(a1.mac);
    expect(eth1?.flags).not.toContain("UP");
    expect(addrs(a.name, "eth1")).toEqual([]);
  });

  it("delivers secondary IPs and /28 prefixes to the ENI that owns them", async () => {
    const a1n = { ...a1, secondaryIps: ["10.0.1.21"], prefixes: ["10.0.1.48/28"] };
    const b0n = { ...b0, secondaryIps: ["10.0.2.11"] };
    const t0 = performance.now();
    await dp.addressesChanged(a1n);
    await dp.addressesChanged(b0n);
    console.log(`addressesChanged x2: ${(performance.now() - t0).toFixed(1)} ms`);
    // What ipamd would do for a pod address on a secondary ENI: the address on the host
    // and source-based policy routing out of that ENI (table 2 = device index + 1).
    a.exec(["link", "set", "eth1", "up"]);
    a.exec(["addr", "add", "10.0.1.21/32", "dev", "eth1"]);
    a.exec(["addr", "add", "10.0.1.50/32", "dev", "eth1"]);
    a.exec(["route", "add", "default", "via", "10.0.1.1", "dev", "eth1", "onlink", "table", "2"]);
    a.exec(["rule", "add", "from", "10.0.1.21", "lookup", "2"]);
    a.exec(["rule", "add", "from", "10.0.1.50", "lookup", "2"]);
    b.exec(["addr", "add", "10.0.2.11/32", "dev", "eth0"]);

    const rx = () => links(a.name).find((l) => l.ifname === "eth1")?.stats64?.rx?.packets ?? 0;
    const before = rx();
    expect(pingLoss(a.name, "10.0.2.11", { from: "10.0.1.21", count: 5 })).toBe(0);
    expect(pingLoss(b.name, "10.0.1.50", { count: 5 })).toBe(0); // inside the delegated /28
    // The replies came in on eth1 (the secondary ENI's MAC), not eth0.
    expect(rx() - before).toBeGreaterThanOrEqual(10);
  });

  it("drops what an ENI sends from an address another ENI owns (EC2's source/destination check)", () => {
    // 10.0.1.51 is in eni-a1's /28. Sent out of eni-a0 (eth0) it must be dropped;
    // out of eni-a1 (eth1) it gets through.
    a.exec(["addr", "add", "10.0.1.51/32", "dev", "lo"]);
    a.exec(["rule", "add", "from", "10.0.1.51", "lookup", "3"]);
    try {
      a.exec(["route", "add", "default", "via", "10.0.1.1", "dev", "eth0", "onlink", "table", "3"]);
      expect(pingLoss(a.name, "10.0.2.10", { from: "10.0.1.51", count: 2 })).toBe(100);
      a.exec(["route", "replace", "default", "via", "10.0.1.1", "dev", "eth1", "onlink", "table", "3"]);
      expect(pingLoss(a.name, "10.0.2.10", { from: "10.0.1.51", count: 2 })).toBe(0);
    } finally {
      a.exec(["route", "flush", "table", "3"]);
      a.exec(["rule", "del", "from", "10.0.1.51", "lookup", "3"]);
      a.exec(["addr", "del", "10.0.1.51/32", "dev", "lo"]);
    }
  });

  it("reaches the internet from a primary ENI's primary IP only (internet gateway)", () => {
    expect(dp.internet).toMatchObject({ address: "203.0.113.10", cidr: "203.0.113.0/24" });
    expect(dp.internet.netns).toBe(dp.routerNetns.replace(/-vpc$/, "-inet"));
    // The primary ENIs' primary IPs get out, and the internet sees them as the source.
    const seen = seenAtInternet(dp, "10.0.1.10", () => {
      expect(pingLoss(a.name, dp.internet.address, { count: 3 })).toBe(0);
    });
    expect(seen).toBe(3);
    expect(pingLoss(b.name, dp.internet.address, { count: 1 })).toBe(0);
    // The router itself reaches it too.
    expect(pingLoss(dp.routerNetns, dp.internet.address, { count: 1 })).toBe(0);
    // Every other VPC address is dropped: a secondary IP of a primary ENI (b0's
    // 10.0.2.11), of a secondary ENI (a1's 10.0.1.21), an address of a /28
    // (10.0.1.50) and a secondary ENI's own primary IP (10.0.1.20).
    a.exec(["addr", "add", "10.0.1.20/32", "dev", "eth1"]);
    a.exec(["rule", "add", "from", "10.0.1.20", "lookup", "2"]);
    try {
      for (const [ns, from] of [
        [b.name, "10.0.2.11"],
        [a.name, "10.0.1.21"],
        [a.name, "10.0.1.50"],
        [a.name, "10.0.1.20"],
      ] as const) {
        const got = seenAtInternet(dp, from, () => {
          expect(pingLoss(ns, dp.internet.address, { from, count: 1 }), from).toBe(100);
        });
        expect(got, from).toBe(0);
      }
    } finally {
      a.exec(["rule", "del", "from", "10.0.1.20", "lookup", "2"]);
      a.exec(["addr", "del", "10.0.1.20/32", "dev", "eth1"]);
    }
    // Still reachable inside the VPC from those addresses: only the internet is refused.
    expect(pingLoss(a.name, "10.0.2.10", { from: "10.0.1.21", count: 1 })).toBe(0);
  });

  it("stops delivering addresses that were unassigned", async () => {
    await dp.addressesChanged({ ...a1, secondaryIps: [], prefixes: ["10.0.1.48/28"] });
    expect(routes(dp.routerNetns)).not.toContain("10.0.1.21");
    expect(routes(dp.routerNetns)).toContain("10.0.1.48/28");
    expect(pingLoss(b.name, "10.0.1.21", { count: 1 })).toBe(100);
    expect(pingLoss(b.name, "10.0.1.50", { count: 1 })).toBe(0);
  });

  it("is idempotent: binding again with the same ENIs changes nothing", async () => {
    const before = links(dp.routerNetns).map((l) => l.ifname);
    await dp.bindInstance("i-a", a.name, [a0, { ...a1, prefixes: ["10.0.1.48/28"] }]);
    await dp.eniAttached({ ...a1, prefixes: ["10.0.1.48/28"] });
    expect(links(dp.routerNetns).map((l) => l.ifname)).toEqual(before);
  });

  it("uses no tunnel device anywhere: only loopback and veth", () => {
    for (const ns of [a.name, b.name, c.name, dp.routerNetns, dp.internet.netns]) {
      for (const l of links(ns)) {
        expect([undefined, "veth"]).toContain(l.linkinfo?.info_kind);
      }
    }
  });

  it("refuses bad input with typed errors", async () => {
    await expect(dp.eniAttached({ ...a1, mac: "zz:00" })).rejects.toMatchObject({ kind: "invalid" });
    await expect(dp.addressesChanged({ ...a1, prefixes: ["10.0.1.0/24"] })).rejects.toBeInstanceOf(
      DataPlaneError,
    );
    await expect(dp.bindInstance("i-x", "vcni-no-such-ns", [])).rejects.toMatchObject({ kind: "no-netns" });
    await expect(dp.bindInstance("i-a", b.name, [])).rejects.toMatchObject({ kind: "invalid" });
  });

  it("detach removes the interface and its routes", async () => {
    const t0 = performance.now();
    await dp.eniDetached("eni-a1");
    console.log(`eniDetached: ${(performance.now() - t0).toFixed(1)} ms`);
    expect(links(a.name).map((l) => l.ifname)).not.toContain("eth1");
    expect(routes(dp.routerNetns)).not.toContain("10.0.1.48/28");
    await dp.eniDetached("eni-a1"); // again: no-op
  });

  it("close removes the router and internet namespaces and every veth it created", async () => {
    const router = dp.routerNetns;
    await dp.close();
    expect(netnsExists(router)).toBe(false);
    expect(netnsExists(dp.internet.netns)).toBe(false);
    for (const ns of [a.name, b.name, c.name]) {
      expect(ip(["-j", "link", "show"], ns)).not.toContain("eth0");
    }
    await expect(dp.eniAttached(a1)).rejects.toMatchObject({ kind: "closed" });
  });
});
