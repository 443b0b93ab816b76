// Secondary ENI setup in a "node" namespace; the ENI is a veth (no dummy/vlan
// here) whose peer sits in a "vpc" namespace, with the MAC EC2 would report.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupEni, teardownEni, waitForLinkByMac } from "../../../ipamd/hostnet/eni-link.ts";
import { HostNamespace } from "../../../ipamd/hostnet/host-ns.ts";
import { HostnetError } from "../../../ipamd/hostnet/types.ts";
import { createNetns, ipJson, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { routesOf, rulesOf, sysctlIn } from "./helpers.ts";

const MAC = "02:aa:bb:cc:dd:01";
const spec = {
  mac: MAC,
  deviceNumber: 2,
  mtu: 9001,
  primaryIp: "10.98.1.20",
  subnetCidr: "10.98.1.0/24",
  subnetGateway: "10.98.1.1",
};

describe.skipIf(!canUseNetns)("ENI link setup (real namespaces)", () => {
  let node: TestNetns;
  let vpc: TestNetns;
  let host: HostNamespace;

  beforeAll(() => {
    node = createNetns("en");
    vpc = createNetns("ev");
    host = new HostNamespace(node.path);
  });
  afterAll(() => {
    host?.close();
    node?.delete();
    vpc?.delete();
  });

  it("waitForLinkByMac times out with ENODEV, then finds an interface that appears later", async () => {
    const err = await waitForLinkByMac(host.rtnl, MAC, 100).catch((e: unknown) => e);
    expect((err as HostnetError).errno).toBe("ENODEV");
    setTimeout(() => {
      node.exec([
        "link",
        "add",
        "ens6",
        "address",
        MAC,
        "type",
        "veth",
        "peer",
        "name",
        "router0",
        "netns",
        vpc.name,
      ]);
    }, 150);
    const link = await waitForLinkByMac(host.rtnl, MAC.toUpperCase(), 5000, 20);
    expect(link.name).toBe("ens6");
  });

  it("setupEni: up, MTU, table deviceNumber+1 with subnet and default routes, from-rule, rp_filter 2", async () => {
    const res = await setupEni(host, spec);
    expect(res).toEqual({ ifName: "ens6", index: expect.any(Number), table: 3 });
    const [link] = ipJson<{ flags: string[]; mtu: number }[]>(["link", "show", "ens6"], node.name);
    expect(link?.flags).toContain("UP");
    expect(link?.mtu).toBe(9001);
    const routes = routesOf(node.name, "3");
    expect(routes).toContainEqual(
      expect.objectContaining({ dst: "10.98.1.0/24", dev: "ens6", scope: "link" }),
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ dst: "default", gateway: "10.98.1.1", dev: "ens6" }),
    );
    expect(rulesOf(node.name).filter((r) => r.src === "10.98.1.20")).toEqual([
      expect.objectContaining({ priority: 1536, table: "3" }),
    ]);
    expect(sysctlIn(node.name, "net/ipv4/conf/ens6/rp_filter")).toBe("2");
  });

  it("setupEni is idempotent (no duplicate routes or rules)", async () => {
    await setupEni(host, spec);
    await setupEni(host, spec);
    expect(routesOf(node.name, "3")).toHaveLength(2);
    expect(rulesOf(node.name).filter((r) => r.src === "10.98.1.20")).toHaveLength(1);
  });

  it("rejects bad input before changing anything", async () => {
    for (const bad of [
      { mac: "zz" },
      { deviceNumber: 0 },
      { subnetCidr: "10.98.1.0" },
      { primaryIp: "1.2.3" },
    ]) {
      const err = await setupEni(host, { ...spec, ...bad }).catch((e: unknown) => e);
      expect((err as HostnetError).kind).toBe("invalid");
    }
  });

  it("teardownEni removes rule and routes, twice is fine", async () => {
    await teardownEni(host, spec);
    await teardownEni(host, spec);
    expect(routesOf(node.name, "3")).toEqual([]);
    expect(rulesOf(node.name).filter((r) => r.src === "10.98.1.20")).toEqual([]);
  });

  it("reports a HostnetError when the interface never appears", async () => {
    const err = await setupEni(host, { ...spec, mac: "02:00:00:00:00:99" }, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostnetError);
  });
});
