// The socket transport with a stand-in handler (the handler is the unit's
// collaborator); the socket, framing and timeouts are real.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CNI_ERR,
  type IpamdRequest,
  type IpamdResponse,
  MAX_MESSAGE_BYTES,
} from "../../../ipamd/api/protocol.ts";
import { type ApiServer, ApiServerError, startApiServer } from "../../../ipamd/api/server.ts";
import { silentLogger } from "../../../ipamd/log.ts";

function rawCall(path: string, payload: string | Buffer, halfClose = true): Promise<string> {
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
      if (halfClose) s.end();
    });
  });
}

const status = `${JSON.stringify({ v: 1, op: "status" })}\n`;

describe("api server transport", () => {
  let dir: string;
  let server: ApiServer | undefined;
  const seen: IpamdRequest[] = [];
  let handle: (r: IpamdRequest, gone?: AbortSignal) => Promise<IpamdResponse> = async () => ({
    ok: true,
    op: "status",
    result: { ready: true, available: 3 },
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ipamd-api-"));
    seen.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (readTimeoutMs = 2000) => {
    server = await startApiServer({
      socketPath: join(dir, "sub", "ipamd.sock"),
      log: silentLogger(),
      readTimeoutMs,
      handler: {
        handle: (r, gone) => {
          seen.push(r);
          return handle(r, gone);
        },
      },
    });
    return server.socketPath;
  };

  it("creates the socket with mode 0600 and answers one request per connection", async () => {
    const path = await start();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const res = JSON.parse(await rawCall(path, status));
    expect(res).toEqual({ ok: true, op: "status", result: { ready: true, available: 3 } });
    expect(seen).toHaveLength(1);
  });

  it("answers a request sent without the final newline before half-close", async () => {
    const path = await start();
    const res = JSON.parse(await rawCall(path, JSON.stringify({ v: 1, op: "status" })));
    expect(res.ok).toBe(true);
  });

  it("answers malformed JSON with DECODE_FAILURE and never calls the handler", async () => {
    const path = await start();
    const res = JSON.parse(await rawCall(path, "{nope\n"));
    expect(res.error.code).toBe(CNI_ERR.DECODE_FAILURE);
    expect(seen).toHaveLength(0);
  });

  it("refuses an oversized message and closes", async () => {
    const path = await start();
    const res = JSON.parse(await rawCall(path, Buffer.alloc(MAX_MESSAGE_BYTES + 10, 0x20), false));
    expect(res.error.code).toBe(CNI_ERR.DECODE_FAILURE);
    expect(res.error.msg).toContain(String(MAX_MESSAGE_BYTES));
  });

  it("times out a client that never finishes its request", async () => {
    const path = await start(200);
    const t0 = Date.now();
    const res = JSON.parse(await rawCall(path, '{"v":1,', false));
    expect(res.error.code).toBe(CNI_ERR.IO_FAILURE);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("turns a throwing handler into an INTERNAL error and keeps serving", async () => {
    handle = async () => {
      throw new Error("boom");
    };
    const path = await start();
    const res = JSON.parse(await rawCall(path, status));
    expect(res.error.code).toBe(CNI_ERR.INTERNAL);
    expect(res.error.msg).toContain("boom");
    handle = async () => ({ ok: true, op: "status", result: { ready: true, available: 1 } });
    expect(JSON.parse(await rawCall(path, status)).ok).toBe(true);
  });

  it("survives a client that disconnects before the answer", async () => {
    let release!: () => void;
    handle = () =>
      new Promise((r) => {
        release = () => r({ ok: true, op: "del" });
      });
    const path = await start();
    await new Promise<void>((resolve) => {
      const s = connect(path, () => s.write(status, () => s.destroy()));
      s.on("close", () => resolve());
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    handle = async () => ({ ok: true, op: "status", result: { ready: true, available: 1 } });
    expect(JSON.parse(await rawCall(path, status)).ok).toBe(true);
  });

  it("replaces a stale socket file but refuses a live ipamd on the same path", async () => {
    const path = await start();
    await expect(
      startApiServer({
        socketPath: path,
        log: silentLogger(),
        handler: { handle: async () => ({ ok: true, op: "del" }) },
      }),
    ).rejects.toThrow(ApiServerError);
    // the first server is untouched
    expect(JSON.parse(await rawCall(path, status)).ok).toBe(true);
  });

  it("refuses to remove a path that is not a socket", async () => {
    const path = join(dir, "file.sock");
    writeFileSync(path, "x");
    await expect(
      startApiServer({
        socketPath: path,
        log: silentLogger(),
        handler: { handle: async () => ({ ok: true, op: "del" }) },
      }),
    ).rejects.toMatchObject({ code: "not-a-socket" });
  });

  it("close() waits for the request in flight, then removes the socket", async () => {
    handle = () => new Promise((r) => setTimeout(() => r({ ok: true, op: "del" }), 150));
    const path = await start();
    const pending = rawCall(path, status);
    await new Promise((r) => setTimeout(r, 30));
    expect(server!.inFlight()).toBe(1);
    await server!.close();
    server = undefined;
    expect(JSON.parse(await pending)).toEqual({ ok: true, op: "del" });
    expect(() => statSync(path)).toThrow();
  });

  it("tells the handler when the client hangs up before its answer, and only then", async () => {
    const signals: AbortSignal[] = [];
    let release = () => {};
    handle = (_r, gone) => {
      if (gone) signals.push(gone);
      return new Promise((resolve) => {
        release = () => resolve({ ok: true, op: "status", result: { ready: true, available: 1 } });
        gone?.addEventListener("abort", release, { once: true });
      });
    };
    const path = await start();
    // A client that goes away mid-request (the plugin killed by the runtime's timeout).
    const s = connect(path);
    s.write(status);
    await new Promise((r) => setTimeout(r, 50));
    s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    // A client that waits for its answer: the close after it aborts nothing.
    const answered = rawCall(path, status, false);
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await answered).toContain('"ok":true');
    await new Promise((r) => setTimeout(r, 50));
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(false);
  });
});
