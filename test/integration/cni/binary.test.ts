// The real CNI protocol: exec build/vpc-cni with CNI_* env and the config on
// stdin, against a stand-in ipamd (test/support/fake-ipamd.ts, a Unix-socket
// server speaking ipamd/api/protocol.ts; the real ipamd is built in parallel).
// Uses a real network namespace and real host veths when root.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { IpamdRequest } from "../../../ipamd/api/protocol.ts";
import { type FakeIpamd, startFakeIpamd } from "../../support/fake-ipamd.ts";
import { malformedCases } from "../../unit/cni/malformed-cases.ts";

const root = new URL("../../../", import.meta.url).pathname;
const BIN = join(root, "build/vpc-cni");
const VERSIONS = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
const isRoot = process.getuid?.() === 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function exec(cmd: string[], env: Record<string, string>, stdin: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    // A runtime passes a clean environment: no NODE_EXTRA_CA_CERTS etc.
    const p = spawn(cmd[0]!, cmd.slice(1), { env: { PATH: process.env["PATH"] ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (c) => {
      stdout += c;
    });
    p.stderr.on("data", (c) => {
      stderr += c;
    });
    p.on("error", reject);
    p.on("close", (code) => {
      let json: Record<string, unknown> = {};
      if (stdout.trim() !== "") json = JSON.parse(stdout) as Record<string, unknown>;
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    p.stdin.on("error", () => {}); // VERSION does not read stdin
    p.stdin.end(stdin);
  });
}

let fake: FakeIpamd;
let netns = "";
let tmp = "";
let n = 0;

beforeAll(async () => {
  execFileSync("bash", [join(root, "cni/build.sh")], { stdio: "inherit" });
  fake = await startFakeIpamd();
  tmp = mkdtempSync(join(tmpdir(), "cni-it-"));
  if (isRoot) {
    execFileSync("ip", ["netns", "add", `cni-it-${process.pid}`]);
    netns = `/var/run/netns/cni-it-${process.pid}`;
  } else {
    // Not root: a plain file stands in for the namespace path (the plugin only stats it; ipamd is fake).
    netns = join(tmp, "netns");
    writeFileSync(netns, "");
    process.stderr.write(
      "cni integration: not root, using a file as CNI_NETNS and skipping host veth checks\n",
    );
  }
});
afterAll(async () => {
  await fake?.close();
  if (isRoot) execFileSync("ip", ["netns", "del", `cni-it-${process.pid}`]);
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  fake.respond = undefined;
  fake.raw = undefined;
  fake.delayMs = 0;
  fake.status = { ready: true, available: 12 };
});

const conf = (v: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: v, name: "vpc", type: "vpc-cni", socketPath: fake.socketPath, ...extra });
const envFor = (cmd: string, id: string, extra: Record<string, string> = {}) => ({
  CNI_COMMAND: cmd,
  CNI_CONTAINERID: id,
  CNI_NETNS: netns,
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
  CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1",
  ...extra,
});
const cni = (env: Record<string, string>, stdin: string) => exec([BIN], env, stdin);
const newId = () => `ctr${process.pid}x${n++}`;

function expectCniError(r: Run, code: number): string {
  expect(r.code).toBe(1);
  expect(r.json).toMatchObject({ code });
  expect(typeof r.json["msg"]).toBe("string");
  expect(typeof r.json["cniVersion"]).toBe("string");
  return r.json["msg"] as string;
}

describe("VERSION", () => {
  it("prints supported versions, needs nothing else", async () => {
    const r = await cni({ CNI_COMMAND: "VERSION" }, '{"cniVersion":"1.1.0"}');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: "1.1.0", supportedVersions: [...VERSIONS] });
  });
});

describe("stdin left open", () => {
  // The plugin starts reading stdin before it checks the environment (speed):
  // an env error must still be answered at once, not after an EOF that never comes.
  it("an env error is answered and the plugin exits without waiting for EOF", async () => {
    const p = spawn(BIN, [], { env: { PATH: process.env["PATH"] ?? "", ...envFor("ADD", "") } });
    let stdout = "";
    p.stdout.on("data", (c) => {
      stdout += c;
    });
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => resolve("still running after 3 s"), 3000);
      p.on("close", (c) => {
        clearTimeout(timer);
        resolve(c ?? -1);
      });
    });
    p.kill();
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ code: 4, msg: expect.stringContaining("CNI_CONTAINERID") });
  });
});

describe.each(VERSIONS)("cniVersion %s", (v) => {
  it("ADD prints the result in that version; CHECK, DEL, DEL again; GC/STATUS only if 1.1.0", async () => {
    const id = newId();
    const before = fake.requests.length;
    const add = await cni(envFor("ADD", id), conf(v));
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const res = add.json as {
      cniVersion: string;
      interfaces: { name: string; sandbox?: string; mtu?: number }[];
      ips: Record<string, unknown>[];
    };
    expect(res.cniVersion).toBe(v);
    expect(res.interfaces[0]!.name).toMatch(/^eni[0-9a-f]{11}$/);
    expect(res.interfaces[0]!.sandbox).toBeUndefined();
    expect(res.interfaces[1]).toMatchObject({ name: "eth0", sandbox: netns });
    expect(res.interfaces[1]!.mtu).toBe(v === "1.1.0" ? 9001 : undefined);
    expect(res.ips[0]).toMatchObject({
      address: expect.stringMatching(/^10\.0\.\d+\.\d+\/32$/),
      interface: 1,
    });
    expect(res.ips[0]!["version"]).toBe(v.startsWith("0.") ? "4" : undefined);
    const sent = fake.requests[before] as IpamdRequest & { op: "add" };
    expect(sent).toMatchObject({
      v: 1,
      op: "add",
      key: { network: "vpc", containerId: id, ifName: "eth0" },
      netns,
      pod: { namespace: "default", name: "web-0" },
    });

    const withPrev = conf(v, { prevResult: res });
    const check = await cni(envFor("CHECK", id), withPrev);
    if (v === "0.3.0" || v === "0.3.1") expectCniError(check, 1);
    else expect([check.code, check.stdout]).toEqual([0, ""]);

    for (let i = 0; i < 2; i++) {
      const del = await cni(envFor("DEL", id), withPrev);
      expect([del.code, del.stdout]).toEqual([0, ""]);
    }
    expect(fake.held.has(`vpc/${id}/eth0`)).toBe(false);

    const gc = await cni(
      { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" },
      conf(v, { "cni.dev/valid-attachments": [] }),
    );
    const status = await cni({ CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" }, conf(v));
    if (v === "1.1.0") {
      expect([gc.code, gc.stdout, status.code, status.stdout]).toEqual([0, "", 0, ""]);
    } else {
      expect(expectCniError(gc, 1)).toMatch(/does not allow GC/);
      expect(expectCniError(status, 1)).toMatch(/does not allow STATUS/);
    }
  });
});

describe("ADD failures", () => {
  it("interface already there: ipamd's error passes through, code and message", async () => {
    const id = newId();
    expect((await cni(envFor("ADD", id), conf("1.0.0"))).code).toBe(0);
    const again = await cni(envFor("ADD", id), conf("1.0.0"));
    expect(expectCniError(again, 4)).toBe(`interface eth0 already exists in ${netns}`);
  });

  it("pool empty: 11 with ipamd's numbers", async () => {
    fake.respond = () => ({
      ok: false,
      error: { code: 11, msg: "node i-0abc (m5.large) holds 27 of its 27 pod addresses (3 ENIs × 9)" },
    });
    const r = await cni(envFor("ADD", newId()), conf("1.1.0"));
    expect(expectCniError(r, 11)).toBe(
      "node i-0abc (m5.large) holds 27 of its 27 pod addresses (3 ENIs × 9)",
    );
  });

  it("ipamd not running: 11 naming the socket", async () => {
    const sock = join(tmp, "absent.sock");
    const r = await cni(envFor("ADD", newId()), conf("1.1.0", { socketPath: sock }));
    expect(expectCniError(r, 11)).toMatch(
      new RegExp(`^ipamd is not running on this node \\(socket ${sock}\\): ENOENT`),
    );
  });

  it("ipamd too slow: 11 after ipamdTimeoutMs", async () => {
    fake.delayMs = 3000;
    const t0 = Date.now();
    const r = await cni(envFor("ADD", newId()), conf("1.1.0", { ipamdTimeoutMs: 300 }));
    expect(expectCniError(r, 11)).toMatch(/did not answer in time.*300 ms/);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it.each([
    ["garbled", "%%% not json\n", /malformed answer/],
    ["oversized", "x".repeat((1 << 20) + 10) + "\n", /exceeds 1048576 bytes/],
    ["silent close", "", /without an answer/],
    ["wrong shape", '{"ok":true,"op":"add","result":{"ip":"10.0.0.1"}}\n', /malformed ADD result/],
  ])("%s answer from ipamd: code 5 with a clear reason", async (_n, raw, re) => {
    fake.raw = () => raw;
    const r = await cni(envFor("ADD", newId()), conf("1.1.0"));
    expect(expectCniError(r, 5)).toMatch(re);
  });

  it("an answer in pieces, a multi-byte character split between them: read whole and intact", async () => {
    // The plugin decodes the answer chunk by chunk (cni/runtime.ts): a UTF-8
    // sequence cut between two reads must still come out as one character.
    const msg = "node i-0abc (m5.large) holds 27 of its 27 pod addresses (3 ENIs × 9)";
    const bytes = Buffer.from(`${JSON.stringify({ ok: false, error: { code: 11, msg } })}\n`, "utf8");
    const cut = bytes.indexOf(Buffer.from("×", "utf8")) + 1; // between the two bytes of ×
    const sockPath = join(tmp, "pieces.sock");
    const server = createServer((c) => {
      c.once("data", () => {
        c.write(bytes.subarray(0, cut));
        setTimeout(() => c.write(bytes.subarray(cut, cut + 3)), 30);
        setTimeout(() => c.end(bytes.subarray(cut + 3)), 60);
      });
    });
    await new Promise<void>((r) => server.listen(sockPath, r));
    try {
      const r = await cni(envFor("ADD", newId()), conf("1.1.0", { socketPath: sockPath }));
      expect(expectCniError(r, 11)).toBe(msg);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("malformed netns path: 4, ipamd never asked (a missing or the node's own namespace: ipamd refuses it, see hostile/ipamd-surface)", async () => {
    const before = fake.requests.length;
    expectCniError(await cni(envFor("ADD", newId(), { CNI_NETNS: "/var/run/netns/../x" }), conf("1.0.0")), 4);
    expectCniError(await cni(envFor("ADD", newId(), { CNI_NETNS: "var/run/netns/x" }), conf("1.0.0")), 4);
    expect(fake.requests.length).toBe(before);
  });

  it("30 seeded malformed configs through the binary: spec error JSON, exit 1, ipamd never asked", async () => {
    const before = fake.requests.length;
    for (const stdin of malformedCases(30, 7)) {
      const r = await cni(envFor("ADD", newId()), stdin);
      expect(r.code).toBe(1);
      expect([1, 2, 6, 7]).toContain(r.json["code"]);
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe("DEL without ipamd", () => {
  it("succeeds, and removes the host veth named in prevResult itself", async () => {
    const veth = `eni${process.pid.toString(16).padStart(6, "0")}ab`.slice(0, 14);
    if (isRoot) execFileSync("ip", ["link", "add", veth, "type", "veth", "peer", "name", `${veth}p`]);
    const prevResult = {
      cniVersion: "1.0.0",
      interfaces: [{ name: veth }, { name: "eth0", sandbox: netns }],
      ips: [],
    };
    const r = await cni(
      envFor("DEL", newId(), { CNI_NETNS: "" }),
      conf("1.0.0", { socketPath: join(tmp, "absent.sock"), prevResult }),
    );
    expect([r.code, r.stdout]).toEqual([0, ""]);
    expect(r.stderr).toMatch(/ipamd unreachable.*removing host veth/);
    if (isRoot) expect(existsSync(`/sys/class/net/${veth}`)).toBe(false);
  });
});

describe("GC", () => {
  it("releases everything but cni.dev/valid-attachments (and reads cni.dev/attachments)", async () => {
    const ids = [newId(), newId(), newId()];
    for (const id of ids) expect((await cni(envFor("ADD", id), conf("1.1.0"))).code).toBe(0);
    const gcEnv = { CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" };
    const keep = [{ containerID: ids[0], ifname: "eth0" }];
    const r = await cni(gcEnv, conf("1.1.0", { "cni.dev/valid-attachments": keep }));
    expect([r.code, r.stdout]).toEqual([0, ""]);
    expect(fake.requests.at(-1)).toEqual({
      v: 1,
      op: "gc",
      network: "vpc",
      valid: [{ containerId: ids[0], ifName: "eth0" }],
    });
    expect([...fake.held.keys()].filter((k) => ids.some((id) => k.includes(id)))).toEqual([
      `vpc/${ids[0]}/eth0`,
    ]);
    expect((await cni(gcEnv, conf("1.1.0", { "cni.dev/attachments": [] }))).code).toBe(0);
    expect(fake.held.size).toBe(0);
    expect(expectCniError(await cni(gcEnv, conf("1.1.0")), 7)).toMatch(/valid-attachments/);
  });
});

describe("STATUS", () => {
  const st = (socketPath?: string) =>
    cni({ CNI_COMMAND: "STATUS", CNI_PATH: "/opt/cni/bin" }, conf("1.1.0", socketPath ? { socketPath } : {}));
  it("ready: exit 0, no output", async () => {
    expect(await st()).toMatchObject({ code: 0, stdout: "" });
  });
  it("not ready, or no address at all: 50 with ipamd's reason", async () => {
    fake.status = { ready: false, available: 0, reason: "attaching ENI 1 of 3 (eni-0abc)" };
    expect(expectCniError(await st(), 50)).toBe("attaching ENI 1 of 3 (eni-0abc)");
    fake.status = {
      ready: true,
      available: 0,
      assigned: 0,
      reason: "subnet subnet-0abc has no free addresses",
    };
    expect(expectCniError(await st(), 50)).toBe("subnet subnet-0abc has no free addresses");
  });
  it("full node (every address held by a running pod): 0, so its pods are not evicted", async () => {
    fake.status = { ready: true, available: 0, assigned: 27, reason: "27 of 27 pod addresses in use" };
    expect(await st()).toMatchObject({ code: 0, stdout: "" });
  });
  it("ipamd unreachable: 51", async () => {
    expect(expectCniError(await st(join(tmp, "absent.sock")), 51)).toMatch(/ipamd is not running/);
  });
});

describe("logging and the Node entry point", () => {
  it("logFile gets a line, stdout only the result", async () => {
    const logFile = join(tmp, "cni.log");
    const r = await cni(envFor("ADD", newId()), conf("1.0.0", { logFile }));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(logFile, "utf8")).toMatch(/info vpc-cni ADD .*eth0 .*10\.0\./);
  });
  it("`node cni/main.ts` gives the same ADD result shape as the binary", async () => {
    const id = newId();
    const r = await exec([process.execPath, join(root, "cni/main.ts")], envFor("ADD", id), conf("0.4.0"));
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ cniVersion: "0.4.0", ips: [{ version: "4", interface: 1 }] });
  });
});
