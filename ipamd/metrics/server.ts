// Read-only Prometheus endpoint: GET /metrics, nothing else.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import type { IpamdMetrics } from "./metrics.ts";

export interface HttpEndpoint {
  /** The bound "host:port" (port 0 in the config becomes the real one). */
  readonly address: string;
  close(): Promise<void>;
}

export interface ListenOn {
  host: string;
  port: number;
}

export function listenHttp(server: Server, on: ListenOn): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(on.port, on.host, () => {
      const a = server.address() as AddressInfo;
      resolve(`${a.address}:${a.port}`);
    });
  });
}

export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startMetricsServer(
  metrics: IpamdMetrics,
  on: ListenOn,
  log: Logger,
): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(req.method === "GET" ? 404 : 405).end();
      return;
    }
    metrics.render().then(
      (body) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
      (e: unknown) => {
        log.error({ err: e }, "metrics collection failed");
        res.writeHead(500).end();
      },
    );
  });
  const address = await listenHttp(server, on);
  log.info({ address }, "metrics listening");
  return { address, close: () => closeHttp(server) };
}
