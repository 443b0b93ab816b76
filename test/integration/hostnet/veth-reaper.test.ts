// DEL answers before the kernel has deleted the host veth (ipamd/hostnet/veth-reaper.ts):
// what that must never cost — a re-created pod's ADD, an ADD into the same
// namespace, a missing helper, a helper killed mid-queue, a crashed ipamd's
// leftovers — all end with nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostVethName } from "../../../ipamd/hostnet/naming.ts";
import { NetlinkPodPlumbing } from "../../../ipamd/hostnet/pod-plumbing.ts";
import type { PodNetworkSpec } from "../../../ipamd/hostnet/types.ts";
import { GRAVEYARD_PREFIX, isGraveyardName } from "../../../ipamd/hostnet/veth-reaper.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { links, routesOf, rulesOf } from "./helpers.ts";

const graveyard = (ns: string) => links(ns).filter(isGraveyardName);

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!canUseNetns)("async host veth delete (real namespaces)", () => {
  let node: TestNetns;
  const pods: TestNetns[] = [];
  const plumbings: NetlinkPodPlumbing[] = [];
  let seq = 0;

  const plumbingWith = (reaperCommand?: string[]) => {
    const p = new NetlinkPodPlumbing({
      hostNetnsPath: node.path,
      ...(reaperCommand ? { reaperCommand } : {}),
    });
    plumbings.push(p);
    return p;
  };
  const newPod = (podName = `p${++seq}`): PodNetworkSpec => {
    const pod = createNetns("rp");
    pods.push(pod);
    seq++;
    return {
      netnsPath: pod.path,
      ifName: "eth0",
      hostVethName: hostVethName("eni", "reaper", podName),
      podIp: `10.98.0.${seq}`,
      mtu: 9001,
      eniTable: 2,
    };
  };

  beforeAll(() => {
    node = createNetns("rn");
  });
  afterAll(() => {
    for (const p of plumbings) p.close();
    for (const p of pods) p.delete();
    node?.delete();
  });

  it("DEL answers with rules, route and the pod's veth name gone; the veth itself follows; drain leaves nothing", async () => {
    const plumbing = plumbingWith();
    const spec = newPod();
    await plumbing.add(spec);
    await plumbing.del(spec);
    expect(links(node.name)).not.toContain(spec.hostVethName);
    expect(routesOf(node.name).filter((r) => r.dst === spec.podIp)).toEqual([]);
    expect(rulesOf(node.name).filter((r) => r.src === spec.podIp || r.dst === spec.podIp)).toEqual([]);
    await until("the background delete", () => graveyard(node.name).length === 0);
    await plumbing.drain();
    expect(graveyard(node.name)).toEqual([]);
  });

  it("ADD for the same host veth name right after DEL (pod re-created) works", async () => {
    const plumbing = plumbingWith();
    const first = newPod("same-pod");
    await plumbing.add(first);
    await plumbing.del(first);
    const again = { ...newPod("same-pod"), hostVethName: first.hostVethName };
    const links2 = await plumbing.add(again);
    expect(links2.hostInterface.name).toBe(first.hostVethName);
    expect(await plumbing.check(again)).toEqual([]);
    await plumbing.del(again);
    await plumbing.drain();
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });

  it("ADD into the same namespace and interface right after DEL works (the old pair goes first)", async () => {
    // A helper that reads and never deletes: the old pair is certainly still there.
    const plumbing = plumbingWith(["cat"]);
    const spec = newPod();
    await plumbing.add(spec);
    await plumbing.del(spec);
    expect(graveyard(node.name)).toHaveLength(1);
    await plumbing.add(spec);
    expect(graveyard(node.name)).toEqual([]);
    expect(await plumbing.check(spec)).toEqual([]);
    await plumbing.del(spec);
    await plumbing.drain();
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });

  it("ADD, DEL, ADD in the same namespace 10x with the real helper racing the reclaim", async () => {
    const plumbing = plumbingWith();
    const spec = newPod();
    for (let i = 0; i < 10; i++) {
      await plumbing.add(spec);
      await plumbing.del(spec);
    }
    await plumbing.add(spec);
    expect(await plumbing.check(spec)).toEqual([]);
    await plumbing.del(spec);
    await plumbing.drain();
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });

  it("without the helper program the veth is still deleted", async () => {
    const plumbing = plumbingWith(["/nonexistent/ip"]);
    const spec = newPod();
    await plumbing.add(spec);
    await plumbing.del(spec);
    await until("the fallback delete", () => graveyard(node.name).length === 0);
    await plumbing.drain();
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });

  it("a helper that deleted nothing before shutdown: drain deletes what is left", async () => {
    const plumbing = plumbingWith(["cat"]);
    const specs = [newPod(), newPod(), newPod()];
    for (const s of specs) await plumbing.add(s);
    for (const s of specs) await plumbing.del(s);
    expect(graveyard(node.name)).toHaveLength(3);
    await plumbing.drain();
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });

  it("graveyard links a crashed ipamd left are swept on the first DEL after start", async () => {
    node.exec(["link", "add", `${GRAVEYARD_PREFIX}dead0`, "type", "veth", "peer", "name", "leftpeer"]);
    const plumbing = plumbingWith(); // "the new ipamd"
    const spec = newPod();
    await plumbing.add(spec);
    await plumbing.del(spec);
    await until("the leftover sweep", () => graveyard(node.name).length === 0);
    expect(links(node.name).filter((l) => l !== "lo")).toEqual([]);
  });
});
