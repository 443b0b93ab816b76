// ipamd's attack surface against hostile input, on a real ipamd process in a
// node namespace: the plugin socket (mode 0600, EACCES for non-root, and
// oversized / malformed / half-closed / slow / vanishing clients answered or
// closed while ipamd keeps serving), and the two HTTP endpoints (read-only:
// every write method refused with 405; introspection on loopback only).
import { execFile } from "node:child_process";
import { chmodSync, statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CNI_ERR, MAX_MESSAGE_BYTES } from "../../../ipamd/api/protocol.ts";
import { type Cluster, createCluster, ipamdRequest } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";

/** Sends `payload` (then half-closes unless told not to); resolves with everything read until close. */
function raw(path: string, payload: string | Buffer, opts: { halfClose?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = "";
    s.on("data", (d) => {
      out += d.toString();
    });
    s.on("close", () => resolve(out));
    s.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve(out) : reject(e),
    );
    s.write(payload, () => {
      if (opts.halfClose ?? true) s.end();
    });
  });
}

const errorCode = (answer: string): number | undefined =>
  (JSON.parse(answer) as { ok: boolean; error?: { code: number } }).error?.code;

describe.skipIf(!canUseNetns)("ipamd under hostile input", () => {
  let c: Cluster;
  let sock: string;
  const status = async () =>
    (await ipamdRequest(sock, { v: 1, op: "status" }, 5_000)) as { ok: boolean; result?: { ready: boolean } };
  const stillServing = async () => expect((await status()).result?.ready).toBe(true);

  beforeAll(async () => {
    c = await createCluster({ nodes: [{ name: "a", instanceType: "t3.medium" }], timeScale: 0.01 });
    sock = c.node("a").socketPath;
  });
  afterAll(async () => {
    await c?.destroy();
  });

  describe("plugin socket", () => {
    it("is a socket with mode 0600 owned by root", () => {
      const st = statSync(sock);
      expect(st.isSocket()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
      expect(st.uid).toBe(0);
    });

    it("refuses a non-root process with EACCES (the socket's mode, not the directory's)", async () => {
      // Let anyone traverse the cluster's own temp directories down to the
      // socket, so only the socket's mode stands between uid 65534 and ipamd.
      for (let d = dirname(sock); d.startsWith(c.tmpDir); d = dirname(d)) chmodSync(d, 0o711);
      const script = `require("node:net").connect(${JSON.stringify(sock)})
        .on("connect", () => { console.log("CONNECTED"); process.exit(0); })
        .on("error", (e) => { console.log(e.code); process.exit(0); });`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script],
          { timeout: 10_000 },
          (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
        ),
      );
      expect(out).toBe("EACCES");
      await stillServing();
    });

    it("refuses an ADD into a missing path, a directory or the node's own namespace: code 4, no address held", async () => {
      const ipamdPid = c.node("a").ipamd?.pid;
      expect(ipamdPid).toBeDefined();
      const assigned = async () =>
        ((await ipamdRequest(sock, { v: 1, op: "status" }, 5_000)) as { result?: { assigned?: number } })
          .result?.assigned;
      const before = await assigned();
      const cases: [string, RegExp][] = [
        [`${c.tmpDir}/no-such-netns`, /no such file|ENOENT/i],
        [c.tmpDir, /is a directory/],
        ["/", /is a directory/], // found by the plugin fuzz when the plugin checked this
        ["/proc/self/ns/net", /node's own network namespace/],
        [`/proc/${ipamdPid}/ns/net`, /node's own network namespace/],
      ];
      for (const [netns, why] of cases) {
        const answer = (await ipamdRequest(
          sock,
          {
            v: 1,
            op: "add",
            key: { network: "aws-cni", containerId: `bad-netns-${netns.length}`, ifName: "eth0" },
            netns,
            pod: { namespace: "d", name: "bad-netns" },
            link: { mtu: 9001, vethPrefix: "eni" },
          },
          5_000,
        )) as { ok: boolean; error?: { code: number; msg: string } };
        expect(answer.ok, netns).toBe(false);
        expect(answer.error?.code, netns).toBe(CNI_ERR.INVALID_ENV);
        expect(answer.error?.msg, netns).toMatch(why);
      }
      expect(await assigned()).toBe(before);
      await stillServing();
    });

    it("answers an oversized request with a decode error and keeps serving", async () => {
      const big = Buffer.alloc(MAX_MESSAGE_BYTES + 4096, "a");
      const answer = await raw(sock, big, { halfClose: false });
      expect(errorCode(answer)).toBe(CNI_ERR.DECODE_FAILURE);
      await stillServing();
    });

    it.each([
      ["not JSON", "{not json\n"],
      ["JSON but not an object", "[1,2,3]\n"],
      ["unknown version", `${JSON.stringify({ v: 99, op: "status" })}\n`],
      ["unknown op", `${JSON.stringify({ v: 1, op: "format-disk" })}\n`],
      ["ADD without key", `${JSON.stringify({ v: 1, op: "add", netns: "/proc/1/ns/net" })}\n`],
      [
        "DEL with a hostile key",
        `${JSON.stringify({ v: 1, op: "del", key: { network: "../../x", containerId: "", ifName: "eth0/../x" } })}\n`,
      ],
      ["binary garbage", Buffer.concat([Buffer.from([0, 255, 254, 1, 2, 3]), Buffer.from("\n")])],
      ["a huge number", `{"v":1e999,"op":"status"}\n`],
      ["prototype pollution", `{"v":1,"op":"status","__proto__":{"ok":true}}\n`],
    ])("answers %s with an error and keeps serving", async (_name, payload) => {
      const answer = await raw(sock, payload);
      const parsed = JSON.parse(answer) as { ok: boolean; error?: { code: number; msg: string } };
      // The prototype case is a valid STATUS with an extra key: either answer is fine, never a crash.
      if (_name !== "prototype pollution") {
        expect(parsed.ok).toBe(false);
        expect(parsed.error?.code).toBeGreaterThan(0);
      }
      await stillServing();
    });

    it("answers a request half-closed without its newline, closes an empty one", async () => {
      const answer = await raw(sock, JSON.stringify({ v: 1, op: "status" }));
      expect((JSON.parse(answer) as { ok: boolean }).ok).toBe(true);
      expect(await raw(sock, "")).toBe("");
      const partial = await raw(sock, '{"v":1,"op":"st');
      expect(errorCode(partial)).toBe(CNI_ERR.DECODE_FAILURE);
      await stillServing();
    });

    it("times out a slow client, serving others meanwhile; survives clients that vanish", async () => {
      // Slowloris: many clients that send a byte and then nothing.
      const idle: Socket[] = [];
      const answers: Promise<string>[] = [];
      for (let i = 0; i < 50; i++) {
        const s = connect(sock);
        idle.push(s);
        answers.push(
          new Promise((resolve) => {
            let out = "";
            s.on("data", (d) => {
              out += d.toString();
            });
            s.on("close", () => resolve(out));
            s.on("error", () => resolve(out));
          }),
        );
        s.write("{");
      }
      const t0 = Date.now();
      await stillServing(); // not queued behind the idle ones
      expect(Date.now() - t0).toBeLessThan(2_000);
      // Clients that write half a request and disappear.
      for (let i = 0; i < 20; i++)
        connect(sock)
          .on("error", () => undefined)
          .end('{"v":1,"op":"add"')
          .destroy();
      const out = await Promise.all(answers);
      for (const a of out) expect(errorCode(a)).toBe(CNI_ERR.IO_FAILURE); // "no complete request within ..."
      for (const s of idle) s.destroy();
      await stillServing();
    }, 30_000);

    it("is still the same ipamd process after all of it", () => {
      expect(c.node("a").ipamd?.running).toBe(true);
    });
  });

  describe("HTTP endpoints are read-only", () => {
    const curl = async (method: string, addr: string, path: string) => {
      const r = await c.exec("a", [
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "5",
        "-X",
        method,
        "-d",
        "{}",
        `http://${addr}${path}`,
      ]);
      return r.stdout.trim();
    };
    const WRITES = ["POST", "PUT", "DELETE", "PATCH"];

    it.each(WRITES)("metrics refuses %s with 405", async (m) => {
      const addr = c.node("a").metricsAddress;
      for (const path of ["/metrics", "/", "/v1/assignments"]) expect(await curl(m, addr, path)).toBe("405");
    });

    it.each(WRITES)("introspection refuses %s with 405", async (m) => {
      const addr = c.node("a").introspectionAddress;
      for (const path of ["/v1/assignments", "/v1/enis", "/v1/settings", "/healthz", "/"])
        expect(await curl(m, addr, path)).toBe("405");
      // and nothing changed: GET still answers
      expect(await curl("GET", addr, "/v1/status")).toBe("200");
    });

    it("introspection is not reachable on the node's VPC address", async () => {
      const n = c.node("a");
      const port = n.introspectionAddress.split(":").pop();
      const primaryIp = c.emulator.admin
        .state()
        .enis.find(
          (e) => e.attachment?.instanceId === n.instanceId && e.attachment.deviceIndex === 0,
        )?.primaryIp;
      expect(primaryIp).toBeDefined();
      expect(await curl("GET", n.introspectionAddress, "/v1/status")).toBe("200");
      expect(await curl("GET", `${primaryIp}:${port}`, "/v1/status")).toBe("000"); // connection refused
    });
  });
});
