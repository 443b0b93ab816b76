// Pod plumbing against real namespaces: a "node" namespace is the host side
// (hostNetnsPath), pods are separate namespaces.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hostVethName } from "../../../ipamd/hostnet/naming.ts";
import { ADD_STEPS, type AddStep, NetlinkPodPlumbing } from "../../../ipamd/hostnet/pod-plumbing.ts";
import { Rtnl } from "../../../ipamd/hostnet/rtnl.ts";
import { HostnetError, type PodNetworkSpec } from "../../../ipamd/hostnet/types.ts";
import { createNetns, ipJson, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { links, routesOf, rulesOf, snapshot, sysctlSet, tcpReachable } from "./helpers.ts";

const NODE_IP = "10.99.0.1";
const originalCreateVeth = Rtnl.prototype.createVeth;

describe.skipIf(!canUseNetns)("NetlinkPodPlumbing (real namespaces)", () => {
  let node: TestNetns;
  let plumbing: NetlinkPodPlumbing;
  const pods: TestNetns[] = [];
  let seq = 0;

  function newPod(eniTable?: number): { pod: TestNetns; spec: PodNetworkSpec } {
    const pod = createNetns("hp");
    pods.push(pod);
    seq++;
    const spec: PodNetworkSpec = {
      netnsPath: pod.path,
      ifName: "eth0",
      hostVethName: hostVethName("eni", "test", `${pod.name}-${seq}`),
      podIp: `10.99.${Math.floor(seq / 250) + 1}.${(seq % 250) + 1}`,
      mtu: 9001,
      ...(eniTable === undefined ? {} : { eniTable }),
    };
    return { pod, spec };
  }

  beforeAll(() => {
    node = createNetns("hn");
    node.exec(["addr", "add", `${NODE_IP}/32`, "dev", "lo"]);
    sysctlSet(node.name, "net/ipv4/ip_forward", "1");
    plumbing = new NetlinkPodPlumbing({ hostNetnsPath: node.path });
  });

  afterAll(() => {
    plumbing?.close();
    for (const p of pods) p.delete();
    node?.delete();
  });

  it("ADD wires both sides, CHECK is clean, and the pod reaches the node", async () => {
    const { pod, spec } = newPod(2);
    const res = await plumbing.add(spec);
    expect(res.hostInterface.name).toBe(spec.hostVethName);
    expect(res.podInterface).toMatchObject({ name: "eth0", sandbox: pod.path });

    const [podLink] = ipJson<
      {
        mtu: number;
        address: string;
        flags: string[];
        addr_info: { local: string; prefixlen: number }[];
      }[]
    >(["addr", "show", "dev", "eth0"], pod.name);
    expect(podLink?.mtu).toBe(9001);
    expect(podLink?.flags).toContain("UP");
    // The result's MACs are the interfaces' real ones (the pod's is chosen by us, the host's echoed by the kernel).
    expect(res.podInterface.mac).toBe(podLink?.address);
    expect(podLink?.addr_info).toContainEqual(expect.objectContaining({ local: spec.podIp, prefixlen: 32 }));
    const podRoutes = routesOf(pod.name);
    expect(podRoutes).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: "169.254.1.1", dev: "eth0" }),
    );
    expect(podRoutes).toContainEqual(
      expect.objectContaining({ dst: "169.254.1.1", dev: "eth0", scope: "link" }),
    );
    const neigh = ipJson<{ dst: string; lladdr: string; state: string[] }[]>(
      ["neigh", "show", "dev", "eth0"],
      pod.name,
    );
    expect(neigh).toContainEqual({ dst: "169.254.1.1", lladdr: res.hostInterface.mac, state: ["PERMANENT"] });

    const [hostLink] = ipJson<{ flags: string[]; mtu: number; address: string }[]>(
      ["link", "show", spec.hostVethName],
      node.name,
    );
    expect(hostLink?.flags).toContain("UP");
    expect(res.hostInterface.mac).toBe(hostLink?.address);
    expect(hostLink?.mtu).toBe(9001);
    expect(routesOf(node.name)).toContainEqual(
      expect.objectContaining({ dst: spec.podIp, dev: spec.hostVethName, scope: "link" }),
    );
    const rules = rulesOf(node.name);
    expect(rules).toContainEqual(expect.objectContaining({ priority: 512, dst: spec.podIp, table: "main" }));
    expect(rules).toContainEqual(expect.objectContaining({ priority: 1536, src: spec.podIp, table: "2" }));

    expect(await plumbing.check(spec)).toEqual([]);
    expect(await tcpReachable(pod.name, node.name, NODE_IP, 7001)).toBe(true);
  });

  it("without the kernel's echo of the new veth (Linux < 6.3) it looks both ends up instead", async () => {
    // The echo is what spares ADD its link lookups; a kernel that ignores NLM_F_ECHO answers with a bare ACK.
    const create = vi.spyOn(Rtnl.prototype, "createVeth").mockImplementation(async function (
      this: Rtnl,
      ...args: Parameters<Rtnl["createVeth"]>
    ) {
      await originalCreateVeth.apply(this, args);
      return undefined;
    });
    try {
      const { pod, spec } = newPod(2);
      const res = await plumbing.add(spec);
      expect(create).toHaveBeenCalled();
      const [podLink] = ipJson<{ address: string; flags: string[] }[]>(
        ["link", "show", "dev", "eth0"],
        pod.name,
      );
      const [hostLink] = ipJson<{ address: string }[]>(["link", "show", spec.hostVethName], node.name);
      expect(res.podInterface.mac).toBe(podLink?.address);
      expect(res.hostInterface.mac).toBe(hostLink?.address);
      expect(podLink?.flags).toContain("UP");
      expect(await plumbing.check(spec)).toEqual([]);
    } finally {
      create.mockRestore();
    }
  });

  it("two pods on the node reach each other through it", async () => {
    const a = newPod();
    const b = newPod();
    await plumbing.add(a.spec);
    await plumbing.add(b.spec);
    expect(await tcpReachable(a.pod.name, b.pod.name, b.spec.podIp, 7002)).toBe(true);
  });

  it("ADD twice fails with kind exists and leaves the first ADD intact", async () => {
    const { spec } = newPod(3);
    await plumbing.add(spec);
    const before = snapshot(node.name);
    const err = await plumbing.add(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostnetError);
    expect((err as HostnetError).kind).toBe("exists");
    expect(snapshot(node.name)).toEqual(before);
    expect(await plumbing.check(spec)).toEqual([]);
  });

  it("DEL removes veth, route and rules; DEL twice is fine", async () => {
    const before = snapshot(node.name);
    const { pod, spec } = newPod(4);
    await plumbing.add(spec);
    await plumbing.del(spec);
    await plumbing.drain(); // the host veth's kernel delete finishes in the background
    expect(snapshot(node.name)).toEqual(before);
    expect(links(pod.name)).toEqual(["lo"]);
    await plumbing.del(spec);
    expect(snapshot(node.name)).toEqual(before);
  });

  it("DEL works after the pod's netns is deleted, and removes the host veth at once", async () => {
    const before = snapshot(node.name);
    const { pod, spec } = newPod(5);
    await plumbing.add(spec);
    pod.delete();
    await plumbing.del(spec);
    await plumbing.drain();
    expect(snapshot(node.name)).toEqual(before);
    await plumbing.del(spec);
    const check = await plumbing.check(spec);
    expect(check.map((p) => p.what)).toContain("interface");
  });

  it("CHECK reports a removed address and a removed route", async () => {
    const { pod, spec } = newPod(6);
    await plumbing.add(spec);
    pod.exec(["route", "del", "default"]);
    let problems = await plumbing.check(spec);
    expect(problems).toEqual([expect.objectContaining({ what: "route" })]);
    pod.exec(["addr", "del", `${spec.podIp}/32`, "dev", "eth0"]);
    node.exec(["rule", "del", "pref", "1536", "from", spec.podIp]);
    problems = await plumbing.check(spec);
    // Removing a device's last IPv4 address also makes the kernel flush its
    // routes and neighbours, so those are (correctly) reported too.
    expect(new Set(problems.map((p) => p.what))).toEqual(new Set(["address", "route", "rule", "neighbour"]));
    expect(problems.map((p) => p.message).join("\n")).toContain(`lacks ${spec.podIp}/32`);
  });

  it.each(ADD_STEPS)("a failure at step %s leaves nothing behind", async (failAt: AddStep) => {
    const { pod, spec } = newPod(7);
    const seen: AddStep[] = [];
    const failing = new NetlinkPodPlumbing({
      hostNetnsPath: node.path,
      beforeStep: (s) => {
        seen.push(s);
        if (s === failAt) throw new Error(`injected at ${s}`);
      },
    });
    try {
      const nodeBefore = snapshot(node.name);
      const podBefore = snapshot(pod.name);
      const err = await failing.add(spec).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostnetError);
      expect((err as Error).message).toContain(`injected at ${failAt}`);
      expect(seen.at(-1)).toBe(failAt);
      expect(snapshot(node.name)).toEqual(nodeBefore);
      expect(snapshot(pod.name)).toEqual(podBefore);
      // and the pod can still be set up afterwards
      await plumbing.add(spec);
    } finally {
      failing.close();
    }
  });

  it("with eniTableDestinations the from-rule is limited to those CIDRs (on-node SNAT)", async () => {
    const before = snapshot(node.name);
    const { spec: base } = newPod(8);
    const spec = { ...base, eniTableDestinations: ["10.99.0.0/16", "100.64.0.0/16"] };
    await plumbing.add(spec);
    const mine = rulesOf(node.name).filter((r) => r.src === spec.podIp);
    expect(mine).toEqual([
      expect.objectContaining({ priority: 1536, dst: "10.99.0.0", dstlen: 16, table: "8" }),
      expect.objectContaining({ priority: 1536, dst: "100.64.0.0", dstlen: 16, table: "8" }),
    ]);
    expect(await plumbing.check(spec)).toEqual([]);
    node.exec(["rule", "del", "pref", "1536", "from", spec.podIp, "to", "100.64.0.0/16"]);
    expect(await plumbing.check(spec)).toEqual([expect.objectContaining({ what: "rule" })]);
    // DEL without knowing table or CIDRs still removes every from-rule of the pod
    await plumbing.del(base);
    await plumbing.drain(); // the retired host veth ("vcni.*") is deleted in the background
    expect(snapshot(node.name)).toEqual(before);
  });

  it("DEL removes every from-rule of the pod, however many (several rounds of batched deletes)", async () => {
    const before = snapshot(node.name);
    const { spec } = newPod(9);
    await plumbing.add(spec);
    // Eight from-rules of this pod (another tool's, or CIDRs ipamd no longer knows):
    // more than one batch of deletes (expected + 1 = 2 per round) holds.
    for (let i = 1; i <= 7; i++)
      node.exec([
        "rule",
        "add",
        "pref",
        "1536",
        "from",
        spec.podIp,
        "to",
        `10.${100 + i}.0.0/16`,
        "lookup",
        "9",
      ]);
    expect(rulesOf(node.name).filter((r) => r.src === spec.podIp)).toHaveLength(8);
    const { eniTable: _, ...withoutTable } = spec; // DEL not knowing the table: any table
    await plumbing.del(withoutTable);
    await plumbing.drain();
    expect(snapshot(node.name)).toEqual(before);
  });

  it("rejects bad input with kind invalid before touching anything", async () => {
    const { spec } = newPod();
    const before = snapshot(node.name);
    for (const bad of [{ podIp: "10.0.0.300" }, { ifName: "x".repeat(16) }, { mtu: 0 }, { eniTable: 255 }]) {
      const err = await plumbing.add({ ...spec, ...bad }).catch((e: unknown) => e);
      expect((err as HostnetError).kind).toBe("invalid");
    }
    const err = await plumbing
      .add({ ...spec, netnsPath: "/var/run/netns/does-not-exist" })
      .catch((e: unknown) => e);
    expect((err as HostnetError).kind).toBe("no-netns");
    expect(snapshot(node.name)).toEqual(before);
  });

  it("20 concurrent ADDs for different pods all succeed and DEL cleanly", async () => {
    const before = snapshot(node.name);
    const batch = Array.from({ length: 20 }, (_, i) => newPod(i % 2 === 0 ? 10 : undefined));
    const res = await Promise.all(batch.map((b) => plumbing.add(b.spec)));
    expect(new Set(res.map((r) => r.hostInterface.name)).size).toBe(20);
    const checks = await Promise.all(batch.map((b) => plumbing.check(b.spec)));
    expect(checks.flat()).toEqual([]);
    expect(await tcpReachable(batch[0]!.pod.name, batch[19]!.pod.name, batch[19]!.spec.podIp, 7003)).toBe(
      true,
    );
    await Promise.all(batch.map((b) => plumbing.del(b.spec)));
    await plumbing.drain();
    expect(snapshot(node.name)).toEqual(before);
  });
});
