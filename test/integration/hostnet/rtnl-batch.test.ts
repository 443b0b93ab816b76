// Rtnl.batch and the hand-encoded single requests (rtnl-request.ts) against
// the kernel, in a throwaway namespace: every message's outcome comes back,
// a failure in the middle neither hides the others nor hangs the batch, and
// the socket keeps working afterwards (answers are routed by seq).
import { createRtNetlink } from "netlink";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inNetnsSync, type NetnsHandle, openNetns, openRtnlIn } from "../../../ipamd/hostnet/netns.ts";
import { Rtnl } from "../../../ipamd/hostnet/rtnl.ts";
import {
  addressMessage,
  linkUpMessage,
  routeMessage,
  ruleMessage,
} from "../../../ipamd/hostnet/rtnl-encode.ts";
import { createNetns, ip, ipJson, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";

describe.skipIf(!canUseNetns)("Rtnl.batch and hand-encoded requests (real kernel)", () => {
  let ns: TestNetns;
  let handle: NetnsHandle;
  let nl: Rtnl;
  let dummy: number;

  beforeEach(() => {
    ns = createNetns("rtnlbatch");
    // This kernel has no dummy links (../shared/PLATFORM.md): a veth pair stands in.
    ip(["link", "add", "d0", "type", "veth", "peer", "name", "d1"], ns.name);
    dummy = ipJson<{ ifindex: number }[]>(["link", "show", "d0"], ns.name)[0]!.ifindex;
    handle = openNetns(ns.path);
    nl = openRtnlIn(handle.fd);
  });
  afterEach(() => {
    nl?.close();
    handle?.close();
    ns?.delete();
  });

  const addrs = () =>
    ipJson<{ addr_info: { local: string }[] }[]>(["-4", "addr", "show", "d0"], ns.name)[0]!.addr_info.map(
      (a) => a.local,
    );
  const rules = () => ip(["rule", "show"], ns.name);

  it("applies every message and reports each one done", async () => {
    const out = await nl.batch([
      linkUpMessage(dummy),
      addressMessage(dummy, "10.9.0.1", 32),
      routeMessage({ dst: "10.9.1.0/24", oif: dummy, scope: "link" }, false),
      ruleMessage({ priority: 700, table: 254, dst: "10.9.0.1/32" }),
    ]);
    expect(out).toEqual([undefined, undefined, undefined, undefined]);
    expect(addrs()).toEqual(["10.9.0.1"]);
    expect(ip(["route", "show"], ns.name)).toContain("10.9.1.0/24 dev d0 scope link");
    expect(rules()).toContain("700:\tfrom all to 10.9.0.1 lookup main");
  });

  it("a failure in the middle is reported for that message only; the ones after it still run", async () => {
    await nl.addAddress(dummy, "10.9.0.1", 32);
    const out = await nl.batch([
      linkUpMessage(dummy),
      addressMessage(dummy, "10.9.0.1", 32), // already there: EEXIST
      addressMessage(dummy, "10.9.0.2", 32),
      ruleMessage({ priority: 701, table: 254, dst: "10.9.0.2/32" }),
    ]);
    expect(out).toEqual([undefined, "EEXIST", undefined, undefined]);
    expect(addrs().sort()).toEqual(["10.9.0.1", "10.9.0.2"]);
    expect(rules()).toContain("701:");
  });

  it("a failing LAST message settles the batch with its errno (no hang)", async () => {
    const out = await nl.batch([
      addressMessage(dummy, "10.9.0.3", 32),
      routeMessage({ dst: "10.9.2.0/24", oif: 999_999, scope: "link" }, false), // no such link
    ]);
    expect(out).toEqual([undefined, "ENODEV"]);
    expect(addrs()).toEqual(["10.9.0.3"]);
  });

  it("single requests: EEXIST is an error for routes, 'already there' for rules; the socket still answers", async () => {
    await nl.setLink(dummy, { up: true });
    const route = { dst: "10.9.3.0/24", oif: dummy, scope: "link" as const };
    await nl.addRoute(route);
    await expect(nl.addRoute(route)).rejects.toMatchObject({ errno: "EEXIST" });
    await nl.addRoute(route, true); // replace: idempotent
    const rule = { priority: 702, table: 254, src: "10.9.0.9/32" };
    expect(await nl.addRule(rule)).toBe(true);
    expect(await nl.addRule(rule)).toBe(false);
    await nl.setPermanentNeighbour(dummy, "10.9.3.1", "02:aa:bb:cc:dd:ee");
    expect(ip(["neigh", "show", "dev", "d0"], ns.name)).toContain(
      "10.9.3.1 lladdr 02:aa:bb:cc:dd:ee PERMANENT",
    );
    expect((await nl.linkByName("d0"))?.index).toBe(dummy);
  });

  it("createVeth: the echo gives the host end's index and MAC and the peer's index in its namespace", async () => {
    const pod = createNetns("rtnlbatchpod");
    const podHandle = openNetns(pod.path);
    try {
      const created = await nl.createVeth("vb0", 1500, {
        name: "eth0",
        mtu: 1500,
        netnsFd: podHandle.fd,
        mac: "02:00:00:00:00:2a",
      });
      const host = ipJson<{ ifindex: number; address: string }[]>(["link", "show", "vb0"], ns.name)[0]!;
      const peer = ipJson<{ ifindex: number; address: string }[]>(["link", "show", "eth0"], pod.name)[0]!;
      expect(created).toEqual({ index: host.ifindex, mac: host.address, peerIndex: peer.ifindex });
      expect(peer.address).toBe("02:00:00:00:00:2a");
      await expect(nl.createVeth("vb0", 1500, { name: "eth1", netnsFd: podHandle.fd })).rejects.toMatchObject(
        { errno: "EEXIST" },
      );
    } finally {
      podHandle.close();
      pod.delete();
    }
  });

  it("createVeth and linkByName leave no answer behind: each ACK is awaited, not handed to the package's parser", async () => {
    // A message no request waits for goes to the package's generic parser,
    // which throws for an ACK and emits "invalid": a wasted Error per ADD.
    const raw = inNetnsSync(handle.fd, "netlink socket", () => createRtNetlink());
    const own = new Rtnl(raw);
    const stray: string[] = [];
    raw.on("invalid", (e: Error) => stray.push(`invalid: ${e.message}`));
    raw.on("message", (m: { kind: string }[]) => stray.push(`message: ${m.map((x) => x.kind).join(",")}`));
    const pod = createNetns("rtnlbatchack");
    const podHandle = openNetns(pod.path);
    try {
      const created = await own.createVeth("vb1", 1500, { name: "eth0", netnsFd: podHandle.fd });
      expect(created?.index).toBeGreaterThan(0);
      await own.setLink(dummy, { up: true }); // a plain ACK-only request on the same socket
      // linkByName: one link answer, then its ACK (the package's getLink left that ACK behind).
      const d0 = ipJson<{ ifindex: number; address: string; mtu: number }[]>(
        ["link", "show", "d0"],
        ns.name,
      )[0]!;
      expect(await own.linkByName("d0")).toEqual({
        index: d0.ifindex,
        name: "d0",
        mac: d0.address,
        mtu: d0.mtu,
        up: true,
        kind: "veth",
      });
      expect(await own.linkByName("nosuchlink")).toBeUndefined();
      await new Promise((r) => setTimeout(r, 50));
      expect(stray).toEqual([]);
    } finally {
      own.close();
      podHandle.close();
      pod.delete();
    }
  });
});
