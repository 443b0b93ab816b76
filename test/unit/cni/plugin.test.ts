// The plugin's verbs in-process, with ipamd's transport and the host helpers
// mocked (the unit's collaborators). Includes a randomized malformed-stdin test:
// a fixed seed, 400 cases, each must give spec error JSON and never reach ipamd.
import { describe, expect, it, vi } from "vitest";
import { decodeAnswer, type Transport } from "../../../cni/ipamd-client.ts";
import { ADD_ANSWER_MARGIN_MS, DEFAULT_TIMEOUT_MS, type Deps, runPlugin } from "../../../cni/plugin.ts";
import type { RoundTrip } from "../../../cni/runtime.ts";
import type { IpamdResponse } from "../../../ipamd/api/protocol.ts";
import { malformedCases } from "./malformed-cases.ts";

const SPEC_CODES = new Set([1, 2, 3, 4, 5, 6, 7, 11, 50, 51]);
const env = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_NETNS: "/var/run/netns/p1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
  CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web",
};
const conf = { cniVersion: "1.0.0", name: "vpc", type: "vpc-cni", socketPath: "/run/test.sock" };

function deps(
  stdin: string,
  answer: (line: string) => RoundTrip = () => ({ ok: false, failure: { kind: "io", reason: "unused" } }),
) {
  const sent: string[] = [];
  const transport: Transport = async (_p, line) => {
    sent.push(line);
    return answer(line);
  };
  const removeHostVeth = vi.fn(async () => ({ ok: true, detail: "deleted" }));
  const d: Deps = {
    readStdin: async () => stdin,
    transport,
    removeHostVeth,
    makeLogger: () => ({ info() {}, warn() {} }),
  };
  return { d, sent, removeHostVeth };
}
const answer = (r: IpamdResponse) => (): RoundTrip => ({ ok: true, line: JSON.stringify(r) });

function expectError(out: { stdout: string; exitCode: number }, code?: number) {
  expect(out.exitCode).not.toBe(0);
  const j = JSON.parse(out.stdout) as { cniVersion: string; code: number; msg: string };
  expect(typeof j.cniVersion).toBe("string");
  expect(typeof j.msg).toBe("string");
  expect(SPEC_CODES.has(j.code) || j.code >= 100).toBe(true);
  if (code !== undefined) expect(j.code).toBe(code);
  return j;
}

describe("randomized malformed stdin (seed 20261122)", () => {
  const cases = malformedCases(400);
  it("400 cases: each is spec error JSON, exit != 0, ipamd never called", async () => {
    const codes = new Map<number, number>();
    for (const stdin of cases) {
      for (const cmd of ["ADD", "DEL", "CHECK"]) {
        const { d, sent } = deps(stdin);
        const out = await runPlugin({ ...env, CNI_COMMAND: cmd }, d);
        const j = expectError(out);
        expect([1, 2, 6, 7]).toContain(j.code);
        expect(sent).toEqual([]);
        codes.set(j.code, (codes.get(j.code) ?? 0) + 1);
      }
    }
    // Every class of failure is represented.
    expect([...codes.keys()].sort()).toEqual([1, 2, 6, 7]);
  });
});

describe("verbs", () => {
  it("ADD sends one request with the attachment and pod, prints the result", async () => {
    const { d, sent } = deps(JSON.stringify(conf), () => ({
      ok: true,
      line: JSON.stringify({
        ok: true,
        op: "add",
        result: {
          ip: "10.0.0.9",
          eniId: "eni-1",
          routeTable: 2,
          subnetGateway: "10.0.0.1",
          podGateway: "169.254.1.1",
          mtu: 9001,
          hostInterface: { name: "eniabc", mac: "m1" },
          podInterface: { name: "eth0", mac: "m2", sandbox: "/var/run/netns/p1" },
        },
      }),
    }));
    const out = await runPlugin(env, d);
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(sent[0]!)).toEqual({
      v: 1,
      op: "add",
      key: { network: "vpc", containerId: "c1", ifName: "eth0" },
      netns: "/var/run/netns/p1",
      pod: { namespace: "ns", name: "web" },
      link: { mtu: 9001, vethPrefix: "eni" },
      // ipamd may hold the ADD while the pool grows, and answers this long before our timeout.
      waitMs: DEFAULT_TIMEOUT_MS.ADD - ADD_ANSWER_MARGIN_MS,
    });
    expect(JSON.parse(out.stdout).ips[0].address).toBe("10.0.0.9/32");
  });

  it("ADD: ipamd's own error passes through with code and message", async () => {
    const msg = "node i-0abc (m5.large) holds 27 of its 27 pod addresses (3 ENIs × 9)";
    const { d } = deps(JSON.stringify(conf), answer({ ok: false, error: { code: 11, msg } }));
    const j = expectError(await runPlugin(env, d), 11);
    expect(j.msg).toBe(msg);
  });

  it("ADD: a malformed CNI_NETNS is code 4 and ipamd is not asked; a well-formed one is ipamd's to check", async () => {
    const { d, sent } = deps(JSON.stringify(conf));
    expectError(await runPlugin({ ...env, CNI_NETNS: "/var/run/netns/../x" }, d), 4);
    expectError(await runPlugin({ ...env, CNI_NETNS: "netns-x" }, d), 4);
    expect(sent).toEqual([]);
    const msg =
      "the pod's network namespace: CNI_NETNS /proc/self/ns/net is the node's own network namespace (ipamd's), not a pod's";
    const own = deps(JSON.stringify(conf), answer({ ok: false, error: { code: 4, msg } }));
    expect(expectError(await runPlugin({ ...env, CNI_NETNS: "/proc/self/ns/net" }, own.d), 4).msg).toBe(msg);
    expect(own.sent).toHaveLength(1);
  });

  it("ADD: ipamd unreachable is 11 and names the socket", async () => {
    const { d } = deps(JSON.stringify(conf), () => ({
      ok: false,
      failure: { kind: "unreachable", reason: "ECONNREFUSED" },
    }));
    const j = expectError(await runPlugin(env, d), 11);
    expect(j.msg).toBe("ipamd is not running on this node (socket /run/test.sock): ECONNREFUSED");
  });

  it("ADD: timeout is 11, garbled answer is 5", async () => {
    let { d } = deps(JSON.stringify(conf), () => ({
      ok: false,
      failure: { kind: "timeout", reason: "no answer within 10 ms" },
    }));
    expectError(await runPlugin(env, d), 11);
    ({ d } = deps(JSON.stringify(conf), () => ({ ok: true, line: "{nope" })));
    expect(expectError(await runPlugin(env, d), 5).msg).toMatch(/malformed answer/);
  });

  it("DEL with ipamd unreachable removes only our host veth from prevResult and succeeds", async () => {
    const prevResult = {
      interfaces: [{ name: "eni1234" }, { name: "eth0", sandbox: "/x" }, { name: "eth1" }],
    };
    const { d, removeHostVeth } = deps(JSON.stringify({ ...conf, prevResult }), () => ({
      ok: false,
      failure: { kind: "unreachable", reason: "ENOENT" },
    }));
    const out = await runPlugin({ ...env, CNI_COMMAND: "DEL", CNI_NETNS: "" }, d);
    expect(out).toEqual({ stdout: "", exitCode: 0 });
    expect(removeHostVeth.mock.calls).toEqual([["eni1234"]]);
  });

  it("DEL with ipamd timing out is 11 (retry), nothing removed", async () => {
    const { d, removeHostVeth } = deps(JSON.stringify(conf), () => ({
      ok: false,
      failure: { kind: "timeout", reason: "t" },
    }));
    expectError(await runPlugin({ ...env, CNI_COMMAND: "DEL" }, d), 11);
    expect(removeHostVeth).not.toHaveBeenCalled();
  });

  it("CHECK needs prevResult (7) and sends expectIp", async () => {
    let { d, sent } = deps(JSON.stringify(conf));
    expectError(await runPlugin({ ...env, CNI_COMMAND: "CHECK" }, d), 7);
    const prevResult = { ips: [{ address: "10.0.0.9/32" }] };
    ({ d, sent } = deps(JSON.stringify({ ...conf, prevResult }), answer({ ok: true, op: "check" })));
    expect(await runPlugin({ ...env, CNI_COMMAND: "CHECK" }, d)).toEqual({ stdout: "", exitCode: 0 });
    expect(JSON.parse(sent[0]!).expectIp).toBe("10.0.0.9");
  });

  it("errors are reported in the config's version", async () => {
    const { d } = deps(JSON.stringify({ ...conf, cniVersion: "0.3.1", mtu: 1 }));
    expect(expectError(await runPlugin(env, d), 7).cniVersion).toBe("0.3.1");
  });

  const status = (r: IpamdResponse | RoundTrip) =>
    deps(
      JSON.stringify({ ...conf, cniVersion: "1.1.0" }),
      "ok" in r && "line" in r ? () => r : "failure" in r ? () => r : answer(r as IpamdResponse),
    ).d;
  it.each([
    ["ready", { ok: true, op: "status", result: { ready: true, available: 3 } }, 0],
    [
      "not ready",
      { ok: true, op: "status", result: { ready: false, available: 0, reason: "warming up: 0 of 2 ENIs" } },
      50,
    ],
    [
      "full: every address held by a pod (must not make the node NotReady)",
      {
        ok: true,
        op: "status",
        result: { ready: true, available: 0, assigned: 27, reason: "27 of 27 in use" },
      },
      0,
    ],
    [
      "holds no address at all",
      { ok: true, op: "status", result: { ready: true, available: 0, assigned: 0, reason: "subnet full" } },
      50,
    ],
    ["ipamd error", { ok: false, error: { code: 100, msg: "boom" } }, 50],
    ["unreachable", { ok: false, failure: { kind: "unreachable", reason: "ENOENT" } }, 51],
    ["timeout", { ok: false, failure: { kind: "timeout", reason: "slow" } }, 50],
  ] as const)("STATUS %s -> %i", async (_n, r, code) => {
    const out = await runPlugin(
      { CNI_COMMAND: "STATUS", CNI_PATH: "/x" },
      status(r as IpamdResponse | RoundTrip),
    );
    if (code === 0) expect(out).toEqual({ stdout: "", exitCode: 0 });
    else expectError(out, code);
  });
});

describe("decodeAnswer", () => {
  it.each([
    ["", "add"],
    ["not json", "add"],
    ["[]", "add"],
    ['{"ok":true,"op":"del"}', "add"],
    ['{"ok":true,"op":"add","result":{"ip":"x"}}', "add"],
    ['{"ok":false,"error":{"code":"11","msg":"x"}}', "add"],
    ['{"ok":false}', "del"],
    ['{"ok":true,"op":"status","result":{"ready":"yes"}}', "status"],
  ] as const)("%j for %s is refused with a reason", (line, op) => {
    expect(typeof decodeAnswer(line, op)).toBe("string");
  });
});
