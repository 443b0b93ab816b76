// A stand-in ipamd for tests: a Unix-socket server speaking ipamd/api/protocol.ts
// (one JSON line each way, one request per connection). It records every request
// and answers from a tiny in-memory pool, so the CNI plugin binary can be exercised
// end to end without the real daemon (which plumbs veths and needs root).
// Override behaviour per test with `respond` (typed answers) or `raw` (bytes on the wire).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AddResult,
  CNI_ERR,
  type IpamdRequest,
  type IpamdResponse,
  PROTOCOL_VERSION,
  type StatusResult,
} from "../../ipamd/api/protocol.ts";

export type Responder = (req: IpamdRequest, fake: FakeIpamd) => IpamdResponse | undefined;
/** Write these exact bytes instead of a JSON answer (garbled, oversized, or "" to close silently). */
export type RawResponder = (req: IpamdRequest) => string | undefined;

export interface FakeIpamd {
  socketPath: string;
  /** Every request received, in order. */
  requests: IpamdRequest[];
  /** Attachments currently holding an address, by "network/containerId/ifName". */
  held: Map<string, AddResult>;
  status: StatusResult;
  /** Return an answer to override the default; undefined falls through to the default. */
  respond?: Responder;
  raw?: RawResponder;
  /** Delay every answer by this many ms (timeouts). */
  delayMs: number;
  close(): Promise<void>;
}

const keyOf = (k: { network: string; containerId: string; ifName: string }) =>
  `${k.network}/${k.containerId}/${k.ifName}`;

/** Deterministic host veth name like the real ipamd's: prefix + 11 hex chars. */
export function hostVethName(prefix: string, containerId: string, ifName: string): string {
  let h = 2166136261;
  for (const c of `${containerId}.${ifName}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return (prefix + h.toString(16).padStart(8, "0") + "abcdef").slice(0, prefix.length + 11);
}

function defaultAnswer(req: IpamdRequest, fake: FakeIpamd, next: () => number): IpamdResponse {
  if (req.v !== PROTOCOL_VERSION) {
    return { ok: false, error: { code: CNI_ERR.INCOMPATIBLE_VERSION, msg: `protocol v${req.v} not spoken` } };
  }
  switch (req.op) {
    case "add": {
      const k = keyOf(req.key);
      if (fake.held.has(k)) {
        // What the real daemon sees when the pod interface is already there.
        return {
          ok: false,
          error: {
            code: CNI_ERR.INVALID_ENV,
            msg: `interface ${req.key.ifName} already exists in ${req.netns}`,
          },
        };
      }
      if (fake.held.size >= 27) {
        return {
          ok: false,
          error: {
            code: CNI_ERR.TRY_AGAIN_LATER,
            msg: "node i-0abc (m5.large) holds 27 of its 27 pod addresses (3 ENIs × 9)",
          },
        };
      }
      const n = next();
      const result: AddResult = {
        ip: `10.0.${1 + (n >> 8)}.${n & 255}`,
        eniId: "eni-0fake",
        routeTable: 2,
        subnetGateway: "10.0.1.1",
        podGateway: "169.254.1.1",
        mtu: req.link.mtu,
        hostInterface: {
          name: hostVethName(req.link.vethPrefix, req.key.containerId, req.key.ifName),
          mac: "0a:58:00:00:00:01",
        },
        podInterface: { name: req.key.ifName, mac: "0a:58:00:00:00:02", sandbox: req.netns },
      };
      fake.held.set(k, result);
      return { ok: true, op: "add", result };
    }
    case "del":
      fake.held.delete(keyOf(req.key));
      return { ok: true, op: "del" };
    case "check": {
      const held = fake.held.get(keyOf(req.key));
      if (!held)
        return {
          ok: false,
          error: { code: CNI_ERR.UNKNOWN_CONTAINER, msg: `no attachment ${keyOf(req.key)}` },
        };
      if (held.ip !== req.expectIp) {
        return {
          ok: false,
          error: { code: CNI_ERR.INTERNAL, msg: `pod has ${held.ip}, runtime expects ${req.expectIp}` },
        };
      }
      return { ok: true, op: "check" };
    }
    case "gc": {
      const keep = new Set(req.valid.map((a) => keyOf({ network: req.network, ...a })));
      let released = 0;
      for (const k of [...fake.held.keys()]) {
        if (k.startsWith(`${req.network}/`) && !keep.has(k)) {
          fake.held.delete(k);
          released++;
        }
      }
      return { ok: true, op: "gc", released };
    }
    case "status":
      return { ok: true, op: "status", result: fake.status };
  }
}

export async function startFakeIpamd(socketPath?: string): Promise<FakeIpamd> {
  const dir = socketPath ? undefined : mkdtempSync(join(tmpdir(), "fake-ipamd-"));
  const path = socketPath ?? join(dir!, "ipamd.sock");
  let counter = 10;
  const sockets = new Set<Socket>();
  const fake: FakeIpamd = {
    socketPath: path,
    requests: [],
    held: new Map(),
    status: { ready: true, available: 12 },
    delayMs: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          if (dir) rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    let buf = "";
    sock.on("data", (c) => {
      buf += c.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const req = JSON.parse(buf.slice(0, nl)) as IpamdRequest;
      fake.requests.push(req);
      const raw = fake.raw?.(req);
      const body =
        raw ?? JSON.stringify(fake.respond?.(req, fake) ?? defaultAnswer(req, fake, () => counter++)) + "\n";
      const answer = () => {
        if (!sock.destroyed) sock.end(body);
      };
      // Not setTimeout(answer, 0): Node's timers wait at least 1 ms, which made
      // every answer of this "answers at once" stand-in 1-1.5 ms late.
      if (fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  return fake;
}
