// Environment, CNI_ARGS and network-configuration validation: table-driven,
// each row an input and the spec error code it must produce (or success).
import { describe, expect, it } from "vitest";
import { decodeConfig, parseConfig, parseValidAttachments } from "../../../cni/config.ts";
import { parseCniArgs, parseEnv } from "../../../cni/env.ts";
import type { CniError } from "../../../cni/errors.ts";

function codeOf(f: () => unknown): number | "ok" {
  try {
    f();
    return "ok";
  } catch (e) {
    return (e as CniError).code;
  }
}

const base = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "abc123",
  CNI_NETNS: "/var/run/netns/p1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

describe("parseEnv", () => {
  const rows: [string, Record<string, string | undefined>, number | "ok"][] = [
    ["complete ADD", {}, "ok"],
    ["no command", { CNI_COMMAND: undefined }, 4],
    ["unknown command", { CNI_COMMAND: "FOO" }, 4],
    ["lower-case command", { CNI_COMMAND: "add" }, 4],
    ["ADD without netns", { CNI_NETNS: "" }, 4],
    ["DEL without netns", { CNI_COMMAND: "DEL", CNI_NETNS: "" }, "ok"],
    ["ADD without path", { CNI_PATH: undefined }, 4],
    ["ADD without ifname", { CNI_IFNAME: undefined }, 4],
    ["ADD without container id", { CNI_CONTAINERID: undefined }, 4],
    [
      "GC with only CNI_PATH",
      { CNI_COMMAND: "GC", CNI_CONTAINERID: "", CNI_IFNAME: "", CNI_NETNS: "" },
      "ok",
    ],
    ["STATUS without CNI_PATH", { CNI_COMMAND: "STATUS", CNI_PATH: undefined }, 4],
    ["VERSION with nothing", { CNI_COMMAND: "VERSION", CNI_PATH: undefined, CNI_IFNAME: undefined }, "ok"],
    ["container id with /", { CNI_CONTAINERID: "a/b" }, 4],
    ["container id starting with -", { CNI_CONTAINERID: "-abc" }, 4],
    ["container id with . _ -", { CNI_CONTAINERID: "a.b_c-d" }, "ok"],
    ["ifname 15 chars", { CNI_IFNAME: "a".repeat(15) }, "ok"],
    ["ifname 16 chars", { CNI_IFNAME: "a".repeat(16) }, 4],
    ["ifname 8 two-byte chars: 16 bytes, as the kernel counts", { CNI_IFNAME: "é".repeat(8) }, 4],
    ["ifname 7 two-byte chars: 14 bytes", { CNI_IFNAME: "é".repeat(7) }, "ok"],
    ["ifname .", { CNI_IFNAME: "." }, 4],
    ["ifname ..", { CNI_IFNAME: ".." }, 4],
    ["ifname with :", { CNI_IFNAME: "eth:0" }, 4],
    ["ifname with /", { CNI_IFNAME: "eth/0" }, 4],
    ["ifname with space", { CNI_IFNAME: "eth 0" }, 4],
    ["ifname with tab", { CNI_IFNAME: "eth\t0" }, 4],
    ["relative netns", { CNI_NETNS: "var/run/netns/x" }, 4],
    ["netns with ..", { CNI_NETNS: "/var/run/netns/../../etc/passwd" }, 4],
    ["netns with .", { CNI_NETNS: "/var/run/./netns/x" }, 4],
    ["proc netns", { CNI_NETNS: "/proc/4242/ns/net" }, "ok"],
    ["bad CNI_ARGS", { CNI_ARGS: "K8S_POD_NAME" }, 4],
  ];
  it.each(rows)("%s -> %s", (_name, over, want) => {
    expect(codeOf(() => parseEnv({ ...base, ...over }))).toBe(want);
  });
  it.each([
    [{ CNI_IFNAME: "eth/0" }, "CNI_IFNAME"],
    [{ CNI_CONTAINERID: "a b" }, "CNI_CONTAINERID"],
    [{ CNI_NETNS: "rel" }, "CNI_NETNS"],
  ])("the message names the variable: %j", (over, name) => {
    expect(() => parseEnv({ ...base, ...over })).toThrow(name);
  });
});

describe("parseCniArgs", () => {
  it("reads the Kubernetes keys", () => {
    expect(
      parseCniArgs(
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u",
      ),
    ).toEqual({ namespace: "default", name: "web-0", infraContainerId: "abc" });
  });
  const rows: [string, number | "ok"][] = [
    ["", "ok"],
    ["K8S_POD_NAME=a", "ok"],
    ["K8S_POD_NAME=a;", "ok"],
    ["FOO=bar", 4],
    ["FOO=bar;IgnoreUnknown=true", "ok"],
    ["FOO=bar;IgnoreUnknown=TRUE", "ok"],
    ["FOO=bar;IgnoreUnknown=1", "ok"],
    ["FOO=bar;IgnoreUnknown=0", 4],
    ["FOO=bar;IgnoreUnknown=yes", 4],
    ["K8S_POD_NAME", 4],
    ["=x", 4],
    ["A=b=c;IgnoreUnknown=1", 4],
  ];
  it.each(rows)("%j -> %s", (raw, want) => {
    expect(codeOf(() => parseCniArgs(raw))).toBe(want);
  });
});

const good = { cniVersion: "1.1.0", name: "vpc", type: "vpc-cni" };

describe("parseConfig", () => {
  it("fills defaults", () => {
    expect(parseConfig({ ...good })).toEqual({
      cniVersion: "1.1.0",
      name: "vpc",
      type: "vpc-cni",
      mtu: 9001,
      vethPrefix: "eni",
      socketPath: "/run/vpc-cni/ipamd.sock",
    });
  });
  const rows: [string, Record<string, unknown>, number | "ok"][] = [
    ["minimal", {}, "ok"],
    ["unknown extra keys are ignored", { capabilities: { portMappings: true }, args: {}, foo: 1 }, "ok"],
    ["runtimeConfig passes", { runtimeConfig: { portMappings: [] } }, "ok"],
    ["no name", { name: undefined }, 7],
    ["empty name", { name: "" }, 7],
    ["name with space", { name: "my net" }, 7],
    ["name starting with .", { name: ".net" }, 7],
    ["name as number", { name: 3 }, 7],
    ["no type", { type: undefined }, 7],
    ["old version", { cniVersion: "0.2.0" }, 1],
    ["future version", { cniVersion: "9.9.9" }, 1],
    ["mtu 1500", { mtu: 1500 }, "ok"],
    ["mtu too small", { mtu: 100 }, 7],
    ["mtu too big", { mtu: 65536 }, 7],
    ["mtu fraction", { mtu: 1500.5 }, 7],
    ["mtu string", { mtu: "1500" }, 7],
    ["vethPrefix ok", { vethPrefix: "pod" }, "ok"],
    ["vethPrefix eth", { vethPrefix: "eth" }, 7],
    ["vethPrefix long", { vethPrefix: "abcde" }, 7],
    ["vethPrefix upper (AWS accepts it, so does ipamd)", { vethPrefix: "ENI" }, "ok"],
    ["vethPrefix ens (a NIC name on AL2023)", { vethPrefix: "ens" }, 7],
    ["vethPrefix with a dot", { vethPrefix: "e.n" }, 7],
    ["socketPath relative", { socketPath: "ipamd.sock" }, 7],
    ["socketPath too long", { socketPath: "/" + "a".repeat(120) }, 7],
    ["logFile relative", { logFile: "x.log" }, 7],
    ["timeout ok", { ipamdTimeoutMs: 2000 }, "ok"],
    ["timeout 0", { ipamdTimeoutMs: 0 }, 7],
    ["prevResult array", { prevResult: [] }, 7],
    ["prevResult string", { prevResult: "x" }, 7],
    ["delegated ipam", { ipam: { type: "host-local" } }, 2],
    ["empty ipam", { ipam: {} }, "ok"],
  ];
  it.each(rows)("%s -> %s", (_n, over, want) => {
    expect(codeOf(() => parseConfig({ ...good, ...over }))).toBe(want);
  });
});

describe("decodeConfig", () => {
  it.each(["", "{", "[]", "null", "3", '"x"', "{]", "\u0000"])("%j -> 6", (s) => {
    expect(codeOf(() => decodeConfig(s))).toBe(6);
  });
});

describe("GC valid attachments", () => {
  it("reads cni.dev/valid-attachments, else cni.dev/attachments", () => {
    const a = [{ containerID: "c1", ifname: "eth0" }];
    expect(parseValidAttachments({ "cni.dev/valid-attachments": a })).toEqual([
      { containerId: "c1", ifName: "eth0" },
    ]);
    expect(parseValidAttachments({ "cni.dev/attachments": a })).toEqual([
      { containerId: "c1", ifName: "eth0" },
    ]);
    expect(parseValidAttachments({ "cni.dev/valid-attachments": [] })).toEqual([]);
  });
  it("reads a null list as empty: libcni's encoding of a runtime's nil slice (no pod on the network)", () => {
    expect(parseValidAttachments({ "cni.dev/valid-attachments": null })).toEqual([]);
    expect(parseValidAttachments({ "cni.dev/attachments": null })).toEqual([]);
  });
  it.each([
    [{}],
    [{ "cni.dev/valid-attachments": {} }],
    [{ "cni.dev/valid-attachments": [{ containerID: 1, ifname: "eth0" }] }],
    [{ "cni.dev/valid-attachments": [{ containerID: "c" }] }],
  ])("refuses %j with code 7", (conf) => {
    expect(codeOf(() => parseValidAttachments(conf))).toBe(7);
  });
});
