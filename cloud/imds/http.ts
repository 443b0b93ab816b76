// One HTTP exchange with IMDS over node:http, body read whole. Not fetch():
// ipamd's first fetch() loads undici and costs ~17 MiB RSS for the process's
// lifetime (bench/profile-mem-imports.ts), and IMDS is its only HTTP client.
// Keep-alive comes from node:http's global agent (on by default since Node 19).
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";

export interface HttpAnswer {
  status: number;
  body: string;
}

export class HttpTimeoutError extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** Rejects on network errors and when the whole exchange takes longer than timeoutMs. */
export async function exchange(
  url: URL,
  init: { method?: string; headers?: Record<string, string>; timeoutMs: number },
): Promise<HttpAnswer> {
  // IMDS is plain http; an https endpoint (a proxy in a test set-up) loads TLS only then.
  const request = url.protocol === "https:" ? (await import("node:https")).request : httpRequest;
  const opts: RequestOptions = { method: init.method ?? "GET", headers: init.headers ?? {} };
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", fail);
    });
    const timer = setTimeout(() => req.destroy(new HttpTimeoutError(init.timeoutMs)), init.timeoutMs);
    function fail(e: Error) {
      clearTimeout(timer);
      reject(e);
    }
    req.on("error", fail);
    req.end();
  });
}
