import { describe, expect, it } from "vitest";
import { CNI_ERR } from "../../../ipamd/api/protocol.ts";
import { parseRequest } from "../../../ipamd/api/validate.ts";

const add = {
  v: 1,
  op: "add",
  key: { network: "aws-cni", containerId: "abc123", ifName: "eth0" },
  netns: "/var/run/netns/x",
  pod: { namespace: "default", name: "p1" },
  link: { mtu: 9001, vethPrefix: "eni" },
};

const code = (v: unknown) => {
  const r = parseRequest(typeof v === "string" ? v : JSON.stringify(v));
  return r.ok ? 0 : r.error.code;
};

describe("parseRequest", () => {
  it("accepts a well-formed ADD and keeps exactly its fields", () => {
    const r = parseRequest(JSON.stringify({ ...add, extra: 1 }));
    expect(r).toEqual({ ok: true, req: add });
  });

  it.each([
    ["not JSON", "{", CNI_ERR.DECODE_FAILURE],
    ["an array", [], CNI_ERR.DECODE_FAILURE],
    ["a string", '"x"', CNI_ERR.DECODE_FAILURE],
    ["wrong version", { ...add, v: 2 }, CNI_ERR.INCOMPATIBLE_VERSION],
    ["no version", { ...add, v: undefined }, CNI_ERR.INCOMPATIBLE_VERSION],
    ["unknown op", { ...add, op: "frob" }, CNI_ERR.INVALID_ENV],
    ["missing key", { ...add, key: undefined }, CNI_ERR.INVALID_ENV],
    ["empty container id", { ...add, key: { ...add.key, containerId: "" } }, CNI_ERR.INVALID_ENV],
    ["container id with slash", { ...add, key: { ...add.key, containerId: "../x" } }, CNI_ERR.INVALID_ENV],
    ["ifName too long", { ...add, key: { ...add.key, ifName: "a234567890123456" } }, CNI_ERR.INVALID_ENV],
    ["empty network", { ...add, key: { ...add.key, network: "" } }, CNI_ERR.INVALID_NETWORK_CONFIG],
    ["relative netns", { ...add, netns: "var/run/netns/x" }, CNI_ERR.INVALID_ENV],
    ["empty netns on ADD", { ...add, netns: "" }, CNI_ERR.INVALID_ENV],
    ["mtu too small", { ...add, link: { ...add.link, mtu: 100 } }, CNI_ERR.INVALID_NETWORK_CONFIG],
    ["mtu not integer", { ...add, link: { ...add.link, mtu: 1500.5 } }, CNI_ERR.INVALID_NETWORK_CONFIG],
    [
      "veth prefix too long",
      { ...add, link: { ...add.link, vethPrefix: "abcde" } },
      CNI_ERR.INVALID_NETWORK_CONFIG,
    ],
    ["pod not object", { ...add, pod: "x" }, CNI_ERR.INVALID_ENV],
    ["check without expectIp", { ...add, op: "check" }, CNI_ERR.INVALID_ENV],
    ["check with IPv6 expectIp", { ...add, op: "check", expectIp: "::1" }, CNI_ERR.INVALID_ENV],
    ["gc without valid", { v: 1, op: "gc", network: "n" }, CNI_ERR.INVALID_ENV],
    ["gc with bad entry", { v: 1, op: "gc", network: "n", valid: [{ containerId: 1 }] }, CNI_ERR.INVALID_ENV],
  ])("refuses %s", (_name, input, expected) => {
    expect(code(input)).toBe(expected);
  });

  it("allows an empty netns on DEL (namespace already gone)", () => {
    expect(code({ ...add, op: "del", netns: "" })).toBe(0);
  });

  it("accepts CHECK, GC and STATUS", () => {
    expect(code({ ...add, op: "check", expectIp: "10.0.0.5" })).toBe(0);
    expect(code({ v: 1, op: "gc", network: "n", valid: [{ containerId: "c", ifName: "eth0" }] })).toBe(0);
    expect(code({ v: 1, op: "status" })).toBe(0);
  });

  it("allows empty pod names (non-Kubernetes runtimes)", () => {
    expect(code({ ...add, pod: { namespace: "", name: "" } })).toBe(0);
  });
});
