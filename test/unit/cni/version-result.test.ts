// Version handling and the result conversion table: one row per supported
// version, checked field by field against what each spec version defines.
import { describe, expect, it } from "vitest";
import { CniError } from "../../../cni/errors.ts";
import { type CniIp, readPrevResult, toCniResult } from "../../../cni/result.ts";
import {
  checkVersion,
  compareVersions,
  requireVerbAllowed,
  SUPPORTED_VERSIONS,
} from "../../../cni/version.ts";
import type { AddResult } from "../../../ipamd/api/protocol.ts";

const add: AddResult = {
  ip: "10.0.1.23",
  eniId: "eni-1",
  routeTable: 2,
  subnetGateway: "10.0.1.1",
  podGateway: "169.254.1.1",
  mtu: 9001,
  hostInterface: { name: "eni0123456789a", mac: "aa:aa:aa:aa:aa:01" },
  podInterface: { name: "eth0", mac: "aa:aa:aa:aa:aa:02", sandbox: "/var/run/netns/p1" },
};

describe("result per cniVersion", () => {
  const table = [
    { v: "0.3.0", ipVersion: true, mtu: false },
    { v: "0.3.1", ipVersion: true, mtu: false },
    { v: "0.4.0", ipVersion: true, mtu: false },
    { v: "1.0.0", ipVersion: false, mtu: false },
    { v: "1.1.0", ipVersion: false, mtu: true },
  ] as const;
  it("covers every supported version", () => {
    expect(table.map((r) => r.v)).toEqual([...SUPPORTED_VERSIONS]);
  });
  for (const row of table) {
    it(`${row.v}: ips ${row.ipVersion ? "with" : "without"} version, interfaces ${row.mtu ? "with" : "without"} mtu`, () => {
      const r = toCniResult(add, row.v);
      expect(r.cniVersion).toBe(row.v);
      // Host veth first, no sandbox (bandwidth finds it that way); pod interface with sandbox.
      expect(r.interfaces[0]).toEqual({
        name: "eni0123456789a",
        mac: "aa:aa:aa:aa:aa:01",
        ...(row.mtu ? { mtu: 9001 } : {}),
      });
      expect(r.interfaces[0]).not.toHaveProperty("sandbox");
      expect(r.interfaces[1]).toMatchObject({ name: "eth0", sandbox: "/var/run/netns/p1" });
      const ip = { address: "10.0.1.23/32", gateway: "169.254.1.1", interface: 1 };
      expect(r.ips).toEqual([row.ipVersion ? { version: "4", ...ip } : ip]);
      expect(r.routes).toEqual([{ dst: "0.0.0.0/0", gw: "169.254.1.1" }]);
      expect(r.interfaces[(r.ips[0] as CniIp).interface]!["name"]).toBe("eth0");
    });
  }

  it("after an earlier plugin: its result is kept, ours appended, our IP's index shifted (spec: pass prevResult through)", () => {
    const prev = {
      cniVersion: "1.0.0",
      interfaces: [{ name: "lo", sandbox: "/var/run/netns/p1" }],
      ips: [{ address: "127.0.0.1/8", interface: 0 }],
      routes: [{ dst: "10.99.0.0/16" }],
      dns: { nameservers: ["10.0.0.2"] },
    };
    const r = toCniResult(add, "1.0.0", prev);
    expect(r.interfaces.map((i) => i["name"])).toEqual(["lo", "eni0123456789a", "eth0"]);
    expect(r.ips).toEqual([
      { address: "127.0.0.1/8", interface: 0 },
      { address: "10.0.1.23/32", gateway: "169.254.1.1", interface: 2 },
    ]);
    expect(r.routes).toEqual([{ dst: "10.99.0.0/16" }, { dst: "0.0.0.0/0", gw: "169.254.1.1" }]);
    expect(r.dns).toEqual({ nameservers: ["10.0.0.2"] });
    // CHECK and DEL read it back: our address (on eth0, not the first one), our host veth.
    expect(readPrevResult(r as unknown as Record<string, unknown>, "eth0")).toEqual({
      hostInterfaces: ["eni0123456789a"],
      ip: "10.0.1.23",
    });
  });
});

describe("checkVersion / requireVerbAllowed", () => {
  it.each([
    ["0.2.0", 1],
    ["0.1.0", 1],
    ["2.0.0", 1],
    ["1.2.0", 1],
    [undefined, 1],
    ["", 1],
    ["1.0", 7],
    [100, 7],
    ["v1.0.0", 7],
  ])("cniVersion %j -> code %i", (v, code) => {
    expect(() => checkVersion(v)).toThrow(CniError);
    try {
      checkVersion(v);
    } catch (e) {
      expect((e as CniError).code).toBe(code);
    }
  });
  it("accepts every supported version", () => {
    for (const v of SUPPORTED_VERSIONS) expect(checkVersion(v)).toBe(v);
  });
  const allowed: Record<string, string[]> = {
    CHECK: ["0.4.0", "1.0.0", "1.1.0"],
    GC: ["1.1.0"],
    STATUS: ["1.1.0"],
    ADD: [...SUPPORTED_VERSIONS],
    DEL: [...SUPPORTED_VERSIONS],
  };
  for (const [verb, ok] of Object.entries(allowed)) {
    for (const v of SUPPORTED_VERSIONS) {
      it(`${verb} in ${v}: ${ok.includes(v) ? "allowed" : "code 1"}`, () => {
        if (ok.includes(v)) expect(() => requireVerbAllowed(verb, v)).not.toThrow();
        else expect(() => requireVerbAllowed(verb, v)).toThrow(expect.objectContaining({ code: 1 }));
      });
    }
  }
  it("compares numerically", () => {
    expect(compareVersions("0.10.0", "0.4.0")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0", "1.0.0")).toBe(0);
  });
});

describe("readPrevResult", () => {
  it("finds host interfaces and the first IP in any version's shape", () => {
    for (const v of SUPPORTED_VERSIONS) {
      const prev = JSON.parse(JSON.stringify(toCniResult(add, v))) as Record<string, unknown>;
      expect(readPrevResult(prev)).toEqual({ hostInterfaces: ["eni0123456789a"], ip: "10.0.1.23" });
    }
  });
  it("takes the first IPv4 address", () => {
    expect(readPrevResult({ ips: [{ address: "fd00::1/128" }, { address: "10.1.2.3/32" }] }).ip).toBe(
      "10.1.2.3",
    );
  });
  it("tolerates junk", () => {
    expect(readPrevResult({ interfaces: [null, 3, { name: 5 }], ips: "x" })).toEqual({ hostInterfaces: [] });
    expect(readPrevResult(undefined)).toEqual({ hostInterfaces: [] });
  });
});
