// The plugin-facing Unix socket: transport only. One request per
// connection (protocol.ts): read one JSON line, validate it, hand it to the
// RequestHandler, write one JSON line, close. Everything that can go wrong
// on the wire (oversized, malformed, half-closed, silent or vanishing
// clients, a throwing handler) ends in a coded error answer or a closed
// socket, never in an unhandled exception: the daemon outlives any client.
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Logger } from "../log.ts";
import { CNI_ERR, type IpamdRequest, type IpamdResponse, MAX_MESSAGE_BYTES } from "./protocol.ts";
import { parseRequest } from "./validate.ts";

export interface RequestHandler {
  /** `gone` aborts when the client hung up before its answer (a held ADD stops waiting). */
  handle(req: IpamdRequest, gone?: AbortSignal): Promise<IpamdResponse>;
}

export interface ApiServerOptions {
  socketPath: string;
  handler: RequestHandler;
  log: Logger;
  /** A client must send its whole request within this (slowloris guard). */
  readTimeoutMs?: number;
  /** Longest a graceful close waits for in-flight requests. */
  drainTimeoutMs?: number;
}

export class ApiServerError extends Error {
  readonly code: "in-use" | "not-a-socket" | "listen";
  constructor(code: ApiServerError["code"], message: string) {
    super(message);
    this.name = "ApiServerError";
    this.code = code;
  }
}

export interface ApiServer {
  readonly socketPath: string;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Stops accepting, waits for in-flight requests (bounded), removes the socket file. */
  close(): Promise<void>;
}

/** True when something accepts connections on `path` (a live ipamd). */
function probeLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (live: boolean) => {
      s.destroy();
      resolve(live);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/** Removes a stale socket left by a crashed ipamd; refuses a live one or a non-socket. */
async function clearStaleSocket(path: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    throw new ApiServerError("not-a-socket", `${path} exists and is not a socket; refusing to remove it`);
  }
  if (await probeLive(path)) {
    throw new ApiServerError("in-use", `another ipamd is already serving on ${path}`);
  }
  unlinkSync(path);
}

function listenPrivate(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new ApiServerError("listen", `listen on ${path}: ${e.message}`)));
    // The socket file gets its mode at bind(), which Node runs synchronously
    // inside listen(): a umask of 0177 for exactly that call means the file
    // is never reachable by anyone but root, not even for a moment.
    const old = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(old);
    }
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { socketPath, handler, log } = opts;
  const readTimeoutMs = opts.readTimeoutMs ?? 5000;
  const drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
  const pending = new Set<Promise<void>>();
  const sockets = new Set<Socket>();

  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  await clearStaleSocket(socketPath);

  const answer = (sock: Socket, res: IpamdResponse) => {
    if (sock.destroyed) return;
    sock.write(`${JSON.stringify(res)}\n`);
    // The kernel took the whole answer (the usual case: answers are small):
    // close now. The client reads the answer, then EOF. end() would half-close
    // first (a shutdown syscall and Node's stream-finish machinery per request).
    if (sock.writableLength === 0) {
      sock.destroy();
      return;
    }
    sock.end();
    // A client that never reads its answer must not pin the socket.
    sock.setTimeout(readTimeoutMs, () => sock.destroy());
  };

  const serve = async (sock: Socket, line: string, gone: AbortSignal, answered: () => void) => {
    const parsed = parseRequest(line);
    if (!parsed.ok) {
      log.warn({ code: parsed.error.code, err: parsed.error.msg }, "refused request");
      answered();
      answer(sock, parsed);
      return;
    }
    let res: IpamdResponse;
    try {
      res = await handler.handle(parsed.req, gone);
    } catch (e) {
      log.error({ err: e, op: parsed.req.op }, "handler failed");
      res = {
        ok: false,
        error: { code: CNI_ERR.INTERNAL, msg: `ipamd internal error: ${(e as Error).message}` },
      };
    }
    answered();
    answer(sock, res);
  };

  const onConnection = (sock: Socket) => {
    sockets.add(sock);
    let buf: Buffer = Buffer.alloc(0);
    let started = false;
    // The plugin never half-closes: EOF or close before the answer means it is
    // gone. Aborted only then: abort() builds a DOMException, which cost ~6 %
    // of the server's CPU under bench:daemon when every close aborted.
    const gone = new AbortController();
    let answered = false;
    const hangUp = () => {
      if (started && !answered) gone.abort();
    };
    sock.on("close", hangUp);
    sock.setTimeout(readTimeoutMs, () => {
      if (started) return;
      started = true;
      answer(sock, {
        ok: false,
        error: { code: CNI_ERR.IO_FAILURE, msg: `no complete request within ${readTimeoutMs} ms` },
      });
    });
    const dispatch = (line: string) => {
      started = true;
      sock.setTimeout(0);
      const p = serve(sock, line, gone.signal, () => {
        answered = true;
      }).finally(() => pending.delete(p));
      pending.add(p);
    };
    sock.on("data", (chunk: Buffer) => {
      if (started) return; // one request per connection; ignore anything after it
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl >= 0 && nl <= MAX_MESSAGE_BYTES) {
        dispatch(buf.subarray(0, nl).toString("utf8"));
      } else if (buf.length > MAX_MESSAGE_BYTES) {
        started = true;
        answer(sock, {
          ok: false,
          error: { code: CNI_ERR.DECODE_FAILURE, msg: `request exceeds ${MAX_MESSAGE_BYTES} bytes` },
        });
      }
    });
    // A client that half-closes without the final newline still gets an
    // answer for what it sent; an empty one just gets closed.
    sock.on("end", () => {
      if (started) {
        hangUp();
        return;
      }
      if (buf.length === 0) {
        started = true;
        sock.end();
        return;
      }
      dispatch(buf.toString("utf8"));
    });
    sock.on("error", (e) => log.debug({ err: e.message }, "client socket error"));
    sock.on("close", () => sockets.delete(sock));
  };

  const server = createServer({ allowHalfOpen: true }, onConnection);
  await listenPrivate(server, socketPath);
  // Belt and braces: the mode is the access control (root-only plugin).
  chmodSync(socketPath, 0o600);
  server.on("error", (e) => log.error({ err: e }, "api server error"));
  log.info({ socketPath }, "api server listening");

  return {
    socketPath,
    inFlight: () => pending.size,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const drained = Promise.allSettled([...pending]);
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, drainTimeoutMs).unref());
      await Promise.race([drained, timeout]);
      for (const s of sockets) s.destroy();
      await closed;
      try {
        unlinkSync(socketPath);
      } catch {
        // already removed
      }
    },
  };
}
