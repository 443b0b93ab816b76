// The only runtime-specific code: reading stdin and one Unix-socket round
// trip. Everything else is plain TypeScript that runs the same under Node
// (`node cni/main.ts`, for debugging) and in the Bun-compiled binary.
//
// Why: in a `bun build --compile` binary fs.readFileSync(0) is slow
// (PLATFORM.md) while Bun.stdin.text() is not; Node has no Bun global.
// node:net's Unix-socket client works under both (measured: see bench/).
import { readFileSync } from "node:fs";
import { connect } from "node:net";

interface BunLike {
  stdin: { text(): Promise<string> };
}

const bun = (globalThis as { Bun?: BunLike }).Bun;

export const runtimeName: string = bun ? "bun" : "node";

export async function readStdin(): Promise<string> {
  if (bun) return bun.stdin.text();
  return readFileSync(0, "utf8");
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
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const sock = connect(path);
    const finish = (r: RoundTrip) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, failure: { kind: "timeout", reason: `no answer within ${timeoutMs} ms` } }),
      timeoutMs,
    );
    sock.on("connect", () => sock.write(line));
    sock.on("data", (c: Buffer) => {
      const nl = c.indexOf(10);
      size += nl >= 0 ? nl : c.length;
      if (size > maxBytes) {
        finish({ ok: false, failure: { kind: "oversized", reason: `answer exceeds ${maxBytes} bytes` } });
        return;
      }
      chunks.push(nl >= 0 ? c.subarray(0, nl) : c);
      if (nl >= 0) finish({ ok: true, line: Buffer.concat(chunks).toString("utf8") });
    });
    sock.on("end", () => finish({ ok: true, line: Buffer.concat(chunks).toString("utf8") }));
    sock.on("error", (e: NodeJS.ErrnoException) => {
      const unreachable = e.code === "ENOENT" || e.code === "ECONNREFUSED" || e.code === "ENOTSOCK";
      finish({
        ok: false,
        failure: { kind: unreachable ? "unreachable" : "io", reason: `${e.code ?? "error"}: ${e.message}` },
      });
    });
  });
}
