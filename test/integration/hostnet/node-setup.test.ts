// Node setup (ip_forward, rp_filter, SNAT chain) inside a throwaway "node" namespace.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNamespace } from "../../../ipamd/hostnet/host-ns.ts";
import { applySnat, setupNode, teardownNode } from "../../../ipamd/hostnet/node-setup.ts";
import { SNAT_CHAIN } from "../../../ipamd/hostnet/snat-rules.ts";
import type { HostnetError } from "../../../ipamd/hostnet/types.ts";
import { createNetns, type TestNetns } from "../../support/netns.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { sysctlIn } from "./helpers.ts";

const snat = {
  primaryIp: "10.97.0.10",
  vpcCidrs: ["10.97.0.0/16"],
  excludeCidrs: ["192.168.50.0/24"],
};

describe.skipIf(!canUseNetns)("node setup (real namespace)", () => {
  let node: TestNetns;
  let host: HostNamespace;
  const natRules = () =>
    execFileSync("ip", ["netns", "exec", node.name, "iptables", "-t", "nat", "-S"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.includes(SNAT_CHAIN));

  beforeAll(() => {
    node = createNetns("ns");
    node.exec(["link", "add", "ens5", "type", "veth", "peer", "name", "ens5p"]);
    host = new HostNamespace(node.path);
  });
  afterAll(() => {
    host?.close();
    node?.delete();
  });

  it("sets ip_forward and loose rp_filter, and builds the SNAT chain with one jump", async () => {
    await setupNode(host, { primaryInterface: "ens5", snat });
    expect(sysctlIn(node.name, "net/ipv4/ip_forward")).toBe("1");
    expect(sysctlIn(node.name, "net/ipv4/conf/ens5/rp_filter")).toBe("2");
    expect(natRules()).toEqual([
      `-N ${SNAT_CHAIN}`,
      `-A POSTROUTING -m comment --comment "VPC-CNI SNAT" -j ${SNAT_CHAIN}`,
      `-A ${SNAT_CHAIN} -d 10.97.0.0/16 -m comment --comment "VPC CIDR" -j RETURN`,
      `-A ${SNAT_CHAIN} -d 192.168.50.0/24 -m comment --comment "excluded CIDR" -j RETURN`,
      `-A ${SNAT_CHAIN} -m comment --comment "off-VPC, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source 10.97.0.10 --random-fully`,
    ]);
  });

  it("is idempotent and rebuilds the chain when the config changes", async () => {
    const first = natRules();
    await setupNode(host, { primaryInterface: "ens5", snat });
    expect(natRules()).toEqual(first);
    await applySnat(host, { ...snat, excludeCidrs: [], randomMode: "hashrandom" });
    const rules = natRules();
    expect(rules.filter((l) => l.startsWith("-A POSTROUTING"))).toHaveLength(1);
    expect(rules.some((l) => l.includes("192.168.50.0/24"))).toBe(false);
    expect(rules.at(-1)).toMatch(/--to-source 10\.97\.0\.10 --random$/);
  });

  it("rejects bad config without touching the chain", async () => {
    const before = natRules();
    const err = await applySnat(host, { ...snat, vpcCidrs: ["10.0.0.0/40"] }).catch((e: unknown) => e);
    expect((err as HostnetError).kind).toBe("invalid");
    expect(natRules()).toEqual(before);
  });

  it("external SNAT removes the chain; teardown is idempotent", async () => {
    await applySnat(host, { ...snat, externalSnat: true });
    expect(natRules()).toEqual([]);
    await applySnat(host, snat);
    expect(natRules()).toHaveLength(5);
    await teardownNode(host);
    await teardownNode(host);
    expect(natRules()).toEqual([]);
  });
});
