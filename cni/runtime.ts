// The only runtime-specific code: reading stdin and one Unix-socket round
// trip. Everything else is plain TypeScript that runs the same under Node
// (`node cni/main.ts`, for debugging) and in the Bun-compiled binary.
//
// Why: in a `bun build --compile` binary fs.readFileSync(0) is slow
// (PLATFORM.md) while Bun.stdin.text() is not; Node has no Bun global.
// node:net's Unix-socket client works under both, but in the compiled binary
// Bun.connect is faster. Measured, p50 per process over 40 interleaved runs on
// a loaded machine: trivial Bun binary 13.3 ms, with a node:net round trip
// 19.1 ms, with a Bun.connect round trip 14.0 ms.
import { readFileSync, readSync, writeSync } from "node:fs";

interface BunSocket {
  write(data: string): number;
  end(): void;
}

interface BunLike {
  stdin: { text(): Promise<string> };
  connect(opts: {
    unix: string;
    socket: {
      open(s: BunSocket): void;
      data(s: BunSocket, chunk: Uint8Array): void;
      end?(s: BunSocket): void;
      close?(s: BunSocket): void;
      error?(s: BunSocket, e: Error): void;
    };
  }): Promise<BunSocket>;
}

const bun = (globalThis as { Bun?: BunLike }).Bun;

export const runtimeName: string = bun ? "bun" : "node";

export async function readStdin(): Promise<string> {
  if (bun) {
    try {
      return readFdSync(0);
    } catch (e) {
      // A non-blocking stdin (EAGAIN) is legal, just unusual for a runtime: take the async path.
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      return bun.stdin.text();
    }
  }
  return readFileSync(0, "utf8");
}

/**
 * Reads fd to EOF with plain read(2) calls on this thread. Under Bun,
 * Bun.stdin.text() starts a two-thread pool and hands the data back through
 * an eventfd; the config is a few hundred bytes, so that start-up and
 * cross-thread wake-up cost more than the read itself.
 */
function readFdSync(fd: number): string {
  const chunks: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(65536);
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The CNI result, written with write(2) before the process ends. Under Bun
 * the first touch of process.stdout builds a node:stream Writable, measurable
 * in a ~10 ms process; the result is a few hundred bytes into an empty pipe.
 */
export function writeStdout(text: string): void {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      // A non-blocking stdout whose reader is slow: wait a moment and go on.
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Why a round trip failed before any answer could be decoded. */
export type TransportFailure =
  | { kind: "unreachable"; reason: string }
  | { kind: "timeout"; reason: string }
  | { kind: "oversized"; reason: string }
  | { kind: "io"; reason: string };

export type RoundTrip = { ok: true; line: string } | { ok: false; failure: TransportFailure };

/**
 * Writes `line` (already newline-terminated) and reads until the first "\n"
 * or EOF. ENOENT/ECONNREFUSED mean nobody is listening: the caller decides
 * what that means per verb (retry later, DEL fallback, STATUS 51).
 */
export function unixRoundTrip(
  path: string,
  line: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<RoundTrip> {
  const io = bun ? bunConnect(bun) : nodeConnect;
  return roundTrip(io, path, line, timeoutMs, maxBytes);
}

export function connectFailure(e: NodeJS.ErrnoException): TransportFailure {
  const unreachable = e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTSOCK";
  return { kind: unreachable ? "unreachable" : "io", reason: `${e.code ?? "error"}: ${e.message}` };
}

/** A connection reduced to what a round trip needs, so both runtimes share one state machine. */
interface Events {
  data(c: Uint8Array): void;
  end(): void;
  error(e: NodeJS.ErrnoException): void;
}
type Connector = (path: string, line: string, ev: Events) => { close(): void };

function roundTrip(io: Connector, path: string, line: string, timeoutMs: number, maxBytes: number) {
  return new Promise<RoundTrip>((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    const finish = (r: RoundTrip) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(r);
    };
    const text = () => Buffer.concat(chunks).toString("utf8");
    const timer = setTimeout(
      () => finish({ ok: false, failure: { kind: "timeout", reason: `no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
    const conn = io(path, line, {
      data(c) {
        if (done) return;
        const nl = c.indexOf(10);
        const part = nl >= 0 ? c.subarray(0, nl) : c;
        size += part.length;
        if (size > maxBytes) {
          finish({ ok: false, failure: { kind: "oversized", reason: `answer exceeds ${maxBytes} bytes` } });
          return;
        }
        chunks.push(part);
        if (nl >= 0) finish({ ok: true, line: text() });
      },
      end: () => finish({ ok: true, line: text() }),
      error: (e) => finish({ ok: false, failure: connectFailure(e) }),
    });
  });
}

// node:net only when running under Node (debugging): the Bun binary never
// loads it (its first import costs start-up time there).
const nodeConnect: Connector = (path, line, ev) => {
  const net = process.getBuiltinModule("node:net") as typeof import("node:net");
  const sock = net.connect(path);
  sock.on("connect", () => sock.write(line));
  sock.on("data", (c: Buffer) => ev.data(c));
  sock.on("end", () => ev.end());
  sock.on("error", (e: NodeJS.ErrnoException) => ev.error(e));
  return { close: () => sock.destroy() };
};

function bunConnect(b: BunLike): Connector {
  return (path, line, ev) => {
    let sock: BunSocket | undefined;
    let closed = false;
    b.connect({
      unix: path,
      socket: {
        open: (s) => {
          sock = s;
          s.write(line);
        },
        data: (_s, c) => ev.data(c),
        end: () => ev.end(),
        close: () => ev.end(),
        error: (_s, e) => ev.error(e as NodeJS.ErrnoException),
      },
    }).then(
      (s) => {
        sock = s;
        if (closed) s.end();
      },
      (e: NodeJS.ErrnoException) => ev.error(e),
    );
    return {
      close: () => {
        closed = true;
        sock?.end();
      },
    };
  };
}
