// IMDSv2 for every instance: PUT latest/api/token (TTL header required), then
// GETs carrying X-aws-ec2-metadata-token (401 without a valid one).
// A client reaches ONE instance under the path prefix /imds/<instance-id>/,
// so base URL http://host:port/imds/<instance-id>/ + "latest/meta-data/...".

import { randomBytes } from "node:crypto";
import type { World } from "../state/world.ts";
import { instanceTree, resolveImdsPath } from "./tree.ts";

export interface ImdsAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const MAX_TTL = 21600;

export class ImdsEndpoint {
  readonly #world: World;
  readonly #tokens = new Map<string, { instanceId: string; expiresAt: number }>();
  constructor(world: World) {
    this.#world = world;
  }

  /** `rest` is the path after /imds/<instance-id>/, e.g. "latest/meta-data/mac". */
  handle(
    method: string,
    instanceId: string,
    rest: string,
    header: (name: string) => string | undefined,
  ): ImdsAnswer {
    const inst = this.#world.instances.get(instanceId);
    if (!inst || inst.state === "terminated") return { status: 404, body: "Not Found" };
    if (rest === "latest/api/token") {
      if (method !== "PUT") return { status: 405, body: "Method Not Allowed" };
      // Like AWS: a forwarded PUT is refused (protects against SSRF through proxies).
      if (header("x-forwarded-for") !== undefined) return { status: 403, body: "Forbidden" };
      const ttlText = header("x-aws-ec2-metadata-token-ttl-seconds");
      const ttl = Number(ttlText);
      if (ttlText === undefined || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
        return { status: 400, body: "Bad Request" };
      }
      const token = randomBytes(32).toString("base64");
      this.#tokens.set(token, { instanceId, expiresAt: Date.now() + ttl * 1000 });
      return { status: 200, body: token, headers: { "x-aws-ec2-metadata-token-ttl-seconds": String(ttl) } };
    }
    if (method !== "GET" && method !== "HEAD") return { status: 405, body: "Method Not Allowed" };
    const token = header("x-aws-ec2-metadata-token");
    const t = token === undefined ? undefined : this.#tokens.get(token);
    if (!t || t.instanceId !== instanceId || t.expiresAt < Date.now()) {
      if (t) this.#tokens.delete(token!);
      return { status: 401, body: "Unauthorized" };
    }
    if (!rest.startsWith("latest/")) return { status: 404, body: "Not Found" };
    const text = resolveImdsPath(instanceTree(this.#world, inst), rest.slice("latest/".length));
    return text === undefined ? { status: 404, body: "Not Found" } : { status: 200, body: text };
  }
}
