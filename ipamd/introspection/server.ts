// Read-only introspection for operators (curl from the node): JSON views of
// ENIs, assignments, settings, limits and status, plus the probes: /healthz
// (200 once ready: the readiness probe, and what the entrypoint waits for
// before installing the CNI config) and /livez (200 while the process answers
// at all: the liveness probe, so an ipamd waiting for its ENIConfig or for a
// node set-up that keeps failing is not killed for being not ready yet).
// Loopback only: assignments name pods, and nothing here is authenticated, so
// a non-loopback address is refused at start rather than exposed.
import { createServer } from "node:http";
import { isIP } from "node:net";
import type { Logger } from "../log.ts";
import { closeHttp, type HttpEndpoint, type ListenOn, listenHttp } from "../metrics/server.ts";

export interface IntrospectionViews {
  enis(): unknown;
  assignments(): unknown;
  settings(): unknown;
  limits(): unknown;
  status(): { ready: boolean; [k: string]: unknown };
}

export class IntrospectionAddressError extends Error {
  constructor(host: string) {
    super(`introspection must listen on a loopback address (127.0.0.0/8 or ::1), not ${host}`);
    this.name = "IntrospectionAddressError";
  }
}

export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/** `probesOnly` (DISABLE_INTROSPECTION): /healthz and /livez only, no /v1 views. */
export async function startIntrospection(
  views: IntrospectionViews,
  on: ListenOn,
  log: Logger,
  opts: { probesOnly?: boolean } = {},
): Promise<HttpEndpoint> {
  if (!isLoopback(on.host)) throw new IntrospectionAddressError(on.host);
  const routes: Record<string, () => unknown> = opts.probesOnly
    ? {}
    : {
        "/v1/enis": () => views.enis(),
        "/v1/assignments": () => views.assignments(),
        "/v1/settings": () => views.settings(),
        "/v1/limits": () => views.limits(),
        "/v1/status": () => views.status(),
      };
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    try {
      if (path === "/livez") {
        res.writeHead(200, { "content-type": "text/plain" }).end("alive\n");
        return;
      }
      if (path === "/healthz") {
        const s = views.status();
        res
          .writeHead(s.ready ? 200 : 503, { "content-type": "text/plain" })
          .end(s.ready ? "ok\n" : "not ready\n");
        return;
      }
      const view = routes[path];
      if (view === undefined) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(`${JSON.stringify({ paths: Object.keys(routes) })}\n`);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(view(), null, 2)}\n`);
    } catch (e) {
      log.error({ err: e, path }, "introspection view failed");
      res.writeHead(500).end();
    }
  });
  const address = await listenHttp(server, on);
  log.info({ address }, "introspection listening");
  return { address, close: () => closeHttp(server) };
}
