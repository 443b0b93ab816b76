import { describe, expect, it } from "vitest";
import { errnoOf, isExists, isGone, toHostnetError } from "../../../ipamd/hostnet/errors.ts";
import { fromRules, validatePodSpec } from "../../../ipamd/hostnet/spec.ts";
import { HostnetError } from "../../../ipamd/hostnet/types.ts";

describe("netlink error mapping", () => {
  it("extracts the errno from the netlink package's message", () => {
    const e = toHostnetError(new Error("Request rejected: EEXIST"), "add route");
    expect(e).toBeInstanceOf(HostnetError);
    expect(e.kind).toBe("netlink");
    expect(e.errno).toBe("EEXIST");
    expect(e.message).toBe("add route: Request rejected: EEXIST");
    expect(isExists(e)).toBe(true);
  });
  it("knows the 'already gone' answers", () => {
    for (const c of ["ENOENT", "ESRCH", "ENODEV"])
      expect(isGone(new Error(`Request rejected: ${c}`))).toBe(true);
    expect(isGone(new Error("Request rejected: EPERM"))).toBe(false);
  });
  it("uses .code of Node/addon errors", () => {
    expect(errnoOf(Object.assign(new Error("x"), { code: "EBADF" }))).toBe("EBADF");
    expect(errnoOf("string")).toBeUndefined();
  });
});

describe("validatePodSpec", () => {
  const ok = {
    netnsPath: "/var/run/netns/x",
    ifName: "eth0",
    hostVethName: "eni123",
    podIp: "10.0.0.5",
    mtu: 9001,
  };
  it("accepts a good spec", () => expect(() => validatePodSpec(ok)).not.toThrow());
  it.each([
    { netnsPath: "relative" },
    { ifName: "this-name-is-too-long" },
    { hostVethName: "" },
    { podIp: "10.0.0.500" },
    { mtu: 20 },
    { eniTable: 254 },
    { eniTable: 0 },
    { eniTableDestinations: ["10.0.0.0/16"] },
    { eniTable: 2, eniTableDestinations: [] },
    { eniTable: 2, eniTableDestinations: ["10.0.0.0"] },
  ])("rejects %j with kind invalid", (patch) => {
    try {
      validatePodSpec({ ...ok, ...patch });
      expect.unreachable();
    } catch (e) {
      expect((e as HostnetError).kind).toBe("invalid");
    }
  });
});

describe("fromRules", () => {
  const ok = { netnsPath: "/n", ifName: "eth0", hostVethName: "eni1", podIp: "10.0.0.5", mtu: 9001 };
  it("none for the primary ENI, one without destinations, one per distinct CIDR with them", () => {
    expect(fromRules(ok)).toEqual([]);
    expect(fromRules({ ...ok, eniTable: 3 })).toEqual([{ priority: 1536, table: 3, src: "10.0.0.5/32" }]);
    const r = fromRules({
      ...ok,
      eniTable: 3,
      eniTableDestinations: ["10.0.0.0/16", "10.0.9.9/16", "100.64.0.0/10"],
    });
    expect(r.map((x) => x.dst)).toEqual(["10.0.0.0/16", "100.64.0.0/10"]);
  });
});
