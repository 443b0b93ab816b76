// One HTTP server for everything: EC2 Query API at "/", IMDS under
// /imds/<instance-id>/latest/..., admin under /_emulator/.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { EmulatorAdmin } from "../admin.ts";
import type { Controls } from "../controls.ts";
import type { ImdsEndpoint } from "../imds/endpoint.ts";
import type { World } from "../state/world.ts";
import { handleAdmin } from "./admin-routes.ts";
import { handleEc2 } from "./ec2-endpoint.ts";
import { errorXml } from "./xml.ts";

const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

export function createEmulatorServer(deps: {
  world: World;
  controls: Controls;
  imds: ImdsEndpoint;
  admin: EmulatorAdmin;
  refusedAccessKeys?: ReadonlySet<string>;
}): Server {
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://emulator");
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, "text/plain", "Request body too large");
      const method = req.method ?? "GET";
      const imds = /^\/imds\/([^/]+)\/(.*)$/.exec(url.pathname);
      if (imds) {
        const a = deps.imds.handle(method, imds[1]!, imds[2]!, (h) => {
          const v = req.headers[h];
          return Array.isArray(v) ? v[0] : v;
        });
        return send(res, a.status, "text/plain", a.body, a.headers);
      }
      if (url.pathname.startsWith("/_emulator/")) {
        const a = await handleAdmin(deps.admin, method, url.pathname, body);
        return send(res, a.status, "application/json", JSON.stringify(a.json, null, 2));
      }
      if (url.pathname === "/") {
        const key = signingKeyId(req.headers.authorization);
        if (key !== undefined && deps.refusedAccessKeys?.has(key)) {
          const id = randomUUID();
          return send(
            res,
            401,
            "text/xml;charset=UTF-8",
            errorXml("AuthFailure", "AWS was not able to validate the provided access credentials", id),
            { "x-amzn-requestid": id },
          );
        }
        // The SDK POSTs a form; GET with a query string is accepted too (both are valid Query API).
        const form = method === "POST" ? body : url.search.slice(1);
        const a = await handleEc2(deps.world, deps.controls, form);
        return send(res, a.status, "text/xml;charset=UTF-8", a.body, { "x-amzn-requestid": a.requestId });
      }
      send(res, 404, "text/plain", "Not Found");
    } catch (e) {
      if (!res.headersSent) send(res, 500, "text/plain", `emulator error: ${String(e)}`);
    }
  });
}

/** The access key id of a SigV4 Authorization header ("... Credential=AKID/date/region/ec2/aws4_request, ..."). */
export function signingKeyId(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}
