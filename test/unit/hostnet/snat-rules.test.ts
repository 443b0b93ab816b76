import { describe, expect, it } from "vitest";
import {
  applyRestore,
  JUMP_RULE,
  parseNatSave,
  removeRestore,
  SNAT_CHAIN,
  snatChainRules,
} from "../../../ipamd/hostnet/snat-rules.ts";

const cfg = {
  primaryIp: "10.0.0.10",
  vpcCidrs: ["10.0.0.0/16", "100.64.0.0/16"],
  excludeCidrs: ["192.168.0.0/16"],
};

describe("snat rules", () => {
  it("RETURNs every VPC and excluded CIDR, then SNATs non-local traffic to the primary IP", () => {
    const rules = snatChainRules(cfg);
    expect(rules).toHaveLength(4);
    expect(rules[0]).toContain("-d 10.0.0.0/16");
    expect(rules[2]).toContain("-d 192.168.0.0/16");
    expect(rules[3]).toMatch(/addrtype ! --dst-type LOCAL -j SNAT --to-source 10\.0\.0\.10 --random-fully$/);
  });
  it.each([
    ["hashrandom", / --random$/],
    ["none", /10\.0\.0\.10$/],
  ] as const)("random mode %s", (mode, re) => {
    expect(snatChainRules({ ...cfg, randomMode: mode }).at(-1)).toMatch(re);
  });
  it("dedupes CIDRs and normalises them", () => {
    expect(
      snatChainRules({ primaryIp: "10.0.0.1", vpcCidrs: ["10.0.1.2/16"], excludeCidrs: ["10.0.0.0/16"] }),
    ).toHaveLength(2);
  });
  it("rejects bad input before producing anything", () => {
    expect(() => snatChainRules({ primaryIp: "10.0.0.300", vpcCidrs: ["10.0.0.0/16"] })).toThrow(/invalid/);
    expect(() => snatChainRules({ primaryIp: "10.0.0.1", vpcCidrs: [] })).toThrow(/VPC CIDR/);
    expect(() => snatChainRules({ primaryIp: "10.0.0.1", vpcCidrs: ["x"] })).toThrow(/invalid CIDR/);
  });
  it("adds the jump only when missing and removes duplicates", () => {
    const fresh = applyRestore(cfg, { chainExists: false, jumpCount: 0 });
    expect(fresh).toContain(`:${SNAT_CHAIN} - [0:0]`);
    expect(fresh).toContain(`-A ${JUMP_RULE}`);
    expect(applyRestore(cfg, { chainExists: true, jumpCount: 1 })).not.toContain(JUMP_RULE);
    expect(applyRestore(cfg, { chainExists: true, jumpCount: 3 }).split(`-D ${JUMP_RULE}`)).toHaveLength(3);
  });
  it("parses iptables-save and builds removal", () => {
    const save = `*nat\n:POSTROUTING ACCEPT [0:0]\n:${SNAT_CHAIN} - [0:0]\n-A POSTROUTING -m comment --comment "VPC-CNI SNAT" -j ${SNAT_CHAIN}\nCOMMIT\n`;
    const st = parseNatSave(save);
    expect(st).toEqual({ chainExists: true, jumpCount: 1 });
    expect(removeRestore(st)).toContain(`-X ${SNAT_CHAIN}`);
    expect(removeRestore({ chainExists: false, jumpCount: 0 })).toBeUndefined();
  });
});
