// Assign + release load over ipamd's Unix socket with the plugin's protocol
// (ipamd/api/protocol.ts: one JSON line each way per connection). `workers`
// loops run concurrently, each ADD then DEL of its own attachment, for
// `seconds`; every answered request is one operation.
import { connect } from "node:net";
import { type IpamdRequest, type IpamdResponse, PROTOCOL_VERSION } from "../../ipamd/api/protocol.ts";

function request(socketPath: string, req: IpamdRequest): Promise<IpamdResponse> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let buf = "";
    s.on("connect", () => s.write(`${JSON.stringify(req)}\n`));
    s.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
    });
    s.on("error", reject);
    s.on("close", () => {
      try {
        resolve(JSON.parse(buf) as IpamdResponse);
      } catch {
        reject(new Error(`bad answer ${JSON.stringify(buf.slice(0, 200))}`));
      }
    });
  });
}

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  firstError?: string;
}

/**
 * Runs the load for `warmupSeconds` first, uncounted: ipamd is a long-lived
 * daemon, so the number that matters is its steady state, not the first
 * seconds while V8 still compiles the request path (a cold 10 s window read
 * ~10-20 % lower than the next ones in the same process).
 */
export async function assignReleaseLoad(
  socketPath: string,
  workers: number,
  seconds: number,
  warmupSeconds = 0,
): Promise<LoadResult> {
  if (warmupSeconds > 0) await measuredLoad(socketPath, workers, warmupSeconds, "warmup");
  return measuredLoad(socketPath, workers, seconds, "load");
}

async function measuredLoad(
  socketPath: string,
  workers: number,
  seconds: number,
  tag: string,
): Promise<LoadResult> {
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const link = { mtu: 9001, vethPrefix: "eni" };
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const key = { network: "aws-cni", containerId: `${tag}-${w}-${i}`, ifName: "eth0" };
        const pod = { namespace: "load", name: `${tag}-${w}-${i}` };
        for (const op of ["add", "del"] as const) {
          const r = await request(socketPath, {
            v: PROTOCOL_VERSION,
            op,
            key,
            netns: `/var/run/netns/load-${w}`,
            pod,
            link,
          });
          ops++;
          if (!r.ok) {
            errors++;
            firstError ??= `${op}: [${r.error.code}] ${r.error.msg}`;
          }
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { ops, errors, seconds: secs, opsPerSec: ops / secs, ...(firstError ? { firstError } : {}) };
}
