// The only runtime-specific code: stdin, stdout and one Unix-socket
// round trip. Everything else is plain TypeScript that runs the same under
// Node (`node cni/main.ts`, for debugging) and in the Bun-compiled binary.
//
// Why: in the Bun binary every node:* builtin is a JS module loaded on first
// import, and node:fs alone costs ~1 ms of a ~5 ms process (trivial binaries
// with and without it, 300 interleaved execs). Bun's own Bun.stdin /
// Bun.write / Bun.connect are native. Side by side, both
// variants built at the same moment (400 interleaved execs, p50 wall, stand-in
// ipamd): with node:fs VERSION 5.86 / ADD 8.79 / DEL 8.64 ms; with Bun's APIs
// 4.83 / 8.20 / 8.01 ms. Under Node the builtins are loaded lazily
// (process.getBuiltinModule), never by the binary.
// node:net vs Bun.connect, earlier: trivial Bun binary 13.3 ms, with a
// node:net round trip 19.1 ms, with a Bun.connect round trip 14.0 ms.

interface BunSocket {
  write(data: string): number;
  end(): void;
}

interface BunLike {
  stdin: { text(): Promise<string> };
  stdout: unknown;
  write(dest: unknown, data: string): Promise<number>;
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

const nodeFs = () => process.getBuiltinModule("node:fs") as typeof import("node:fs");

export async function readStdin(): Promise<string> {
  if (!bun) return nodeFs().readFileSync(0, "utf8");
  // Bun.stdin.text(): the read runs natively (on Bun's worker thread, which
  // the process starts anyway), with no ReadableStream, whose JavaScript
  // builtins are compiled at first use. Against Bun.readableStreamToText(
  // Bun.stdin.stream()), both binaries staged alike, stdin a real pipe (FIFO)
  // as a Go runtime gives it, interleaved execs against a stand-in ipamd, two
  // copies of each: ~0.1 ms on a quiet machine (ADD p50 8.71/8.92 vs
  // 8.85/9.00 ms), ~0.3 ms with one core busy. (An earlier measurement that
  // favoured the stream compared binaries whose page cache differed.)
  return bun.stdin.text();
}

/** The CNI result, fully written before the process ends (the caller awaits it). */
export async function writeStdout(text: string): Promise<void> {
  if (bun) await bun.write(bun.stdout, text);
  else nodeFs().writeFileSync(1, text);
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
    // The answer is decoded chunk by chunk into a string, the newline found
    // with a plain loop: Buffer.concat, Uint8Array#indexOf and #subarray are
    // JavaScript builtins the compiled plugin would compile at first use
    // (~150, ~40-100 us in a trivial Bun binary), for an answer of ~300 bytes.
    // "\n" never occurs inside a multi-byte UTF-8 sequence, so the string's
    // first "\n" is the line's end.
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    let done = false;
    const finish = (r: RoundTrip) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, failure: { kind: "timeout", reason: `no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
    const conn = io(path, line, {
      data(c) {
        if (done) return;
        let nl = -1;
        for (let i = 0; i < c.length; i++) {
          if (c[i] === 10) {
            nl = i;
            break;
          }
        }
        size += nl >= 0 ? nl : c.length;
        if (size > maxBytes) {
          finish({ ok: false, failure: { kind: "oversized", reason: `answer exceeds ${maxBytes} bytes` } });
          return;
        }
        const part = decoder.decode(c, { stream: nl < 0 });
        if (nl < 0) {
          text += part;
          return;
        }
        finish({ ok: true, line: text + part.slice(0, part.indexOf("\n")) });
      },
      end: () => finish({ ok: true, line: text + decoder.decode() }),
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
