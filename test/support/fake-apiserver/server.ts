// A stand-in for kube-apiserver (none can run on our machines, see
// PLATFORM.md): a real HTTP server speaking the real Kubernetes REST API, JSON
// only, for exactly the resources ipamd/k8s and kubectl-vpccni use. The real
// @kubernetes/client-node talks to it unmodified.
//
// Served: core/v1 nodes (+/status), pods (+/status), events; events.k8s.io/v1
// events; apiextensions.k8s.io/v1 CRDs; and any custom resource once its CRD
// has been created (so the CRDs in deploy/ are what define our API here).
// Verbs: get, list, watch (resourceVersion, allowWatchBookmarks, 410 Gone
// after compaction, fieldSelector), create, patch (merge, strategic merge,
// JSON patch), delete. Not modelled: labelSelector, pagination, PUT, SSA,
// protobuf, admission, schema validation. Core/v1 and events.k8s.io events
// are separate stores here (the real server shares one).
//
// Every request is recorded with its user (bearer token) and RBAC attributes
// so tests can assert on API traffic (write coalescing, RBAC coverage).

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  isObject,
  type Json,
  type JsonObject,
  JsonPatchError,
  jsonPatch,
  mergePatch,
  strategicMergePatch,
} from "./patch.ts";
import { parsePath, type RequestInfo } from "./routes.ts";
import { type Change, meta, type ResourceType, resourceId, Store } from "./store.ts";
import { Watches, watchOptions } from "./watch.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  /** Bearer token, or "anonymous". */
  user: string;
  info?: RequestInfo;
  status: number;
  contentType?: string;
}

export interface FakeApiServerOptions {
  /** Number of changes kept for watch resumption before older versions answer 410. */
  historyLimit?: number;
  /** Send BOOKMARK events to watches that asked for them, at this period (0 = only on bookmarkNow()). */
  bookmarkIntervalMs?: number;
  /** Return false to answer 403 Forbidden (RBAC enforcement in tests). */
  authorize?: (user: string, info: RequestInfo) => boolean;
}

const BUILTIN: ResourceType[] = [
  { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, statusSubresource: true },
  { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, statusSubresource: true },
  { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true, statusSubresource: false },
  {
    group: "events.k8s.io",
    version: "v1",
    plural: "events",
    kind: "Event",
    namespaced: true,
    statusSubresource: false,
  },
  {
    group: "apiextensions.k8s.io",
    version: "v1",
    plural: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
    statusSubresource: true,
  },
];

export class HttpStatusError extends Error {
  override name = "HttpStatusError";
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export class FakeApiServer {
  readonly store: Store;
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly watches: Watches;
  private readonly authorize?: (user: string, info: RequestInfo) => boolean;
  url = "";
  /** TCP connections accepted so far (clients that reuse connections open few). */
  connections = 0;

  constructor(opts: FakeApiServerOptions = {}) {
    this.store = new Store(opts.historyLimit ?? 1000);
    for (const t of BUILTIN) this.store.addType(t);
    this.watches = new Watches(this.store, opts.bookmarkIntervalMs ?? 0);
    this.authorize = opts.authorize;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const e =
          err instanceof HttpStatusError ? err : new HttpStatusError(500, "InternalError", String(err));
        this.sendStatus(res, e);
      });
    });
    this.server.on("connection", () => {
      this.connections++;
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.watches.closeAll();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sends a BOOKMARK (current resourceVersion) to every watch that allowed bookmarks. */
  bookmarkNow(): number {
    return this.watches.bookmarkAll();
  }

  /** Ends every open watch (as an API server restart or timeout would). */
  closeWatches(): void {
    this.watches.closeAll();
  }

  /** Drops watch history: resuming from any earlier resourceVersion answers 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  requestsBy(user: string): RecordedRequest[] {
    return this.requests.filter((r) => r.user === user);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const auth = req.headers.authorization ?? "";
    const user = auth.startsWith("Bearer ") ? auth.slice(7) : "anonymous";
    const info = parsePath(req.method ?? "GET", url.pathname, url.searchParams);
    const rec: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.search,
      user,
      info,
      status: 0,
      contentType: req.headers["content-type"],
    };
    this.requests.push(rec);
    const origWriteHead = res.writeHead.bind(res);
    res.writeHead = ((code: number, ...rest: never[]) => {
      rec.status = code;
      return origWriteHead(code, ...rest);
    }) as typeof res.writeHead;

    if (info === undefined)
      throw new HttpStatusError(404, "NotFound", `the server could not find ${url.pathname}`);
    if (this.authorize && !this.authorize(user, info)) {
      const sub = info.subresource ? `/${info.subresource}` : "";
      throw new HttpStatusError(
        403,
        "Forbidden",
        `User "${user}" cannot ${info.verb} resource "${info.resource}${sub}" in API group "${info.group}"`,
      );
    }
    const type = this.store.findType(info.group, info.version, info.resource);
    if (type === undefined) {
      throw new HttpStatusError(404, "NotFound", `the server could not find the requested resource`);
    }
    if (info.subresource !== undefined && !(info.subresource === "status" && type.statusSubresource)) {
      throw new HttpStatusError(404, "NotFound", `no subresource ${info.subresource}`);
    }
    const id = resourceId(type.group, type.version, type.plural);
    const ns = type.namespaced ? info.namespace : undefined;
    const body = await readBody(req);

    switch (info.verb) {
      case "get":
        return this.sendJson(res, 200, this.mustGet(type, id, ns, info.name!));
      case "list":
        return this.sendJson(res, 200, this.listObject(type, id, ns, url.searchParams));
      case "watch":
        return this.watches.open(req, res, type, id, ns, watchOptions(url.searchParams));
      case "create":
        return this.sendJson(res, 201, this.create(type, id, ns, body));
      case "patch":
        return this.sendJson(
          res,
          200,
          this.patch(type, id, ns, info, body, req.headers["content-type"] ?? ""),
        );
      case "delete": {
        const gone = this.store.delete(id, ns, info.name!);
        if (gone === undefined) throw notFound(type, info.name!);
        if (type.plural === "customresourcedefinitions") this.unregisterCrd(gone);
        return this.sendJson(res, 200, gone);
      }
      default:
        throw new HttpStatusError(405, "MethodNotAllowed", `${info.verb} is not supported by the stand-in`);
    }
  }

  private mustGet(type: ResourceType, id: string, ns: string | undefined, name: string): JsonObject {
    const obj = this.store.get(id, ns, name);
    if (obj === undefined) throw notFound(type, name);
    return obj;
  }

  private listObject(type: ResourceType, id: string, ns: string | undefined, q: URLSearchParams): JsonObject {
    const opts = watchOptions(q);
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersion(type),
      metadata: { resourceVersion: String(this.store.rv) },
      items: this.store.list(id, ns).filter((o) => opts.matches(o)),
    };
  }

  /** Creates directly in the store, bypassing HTTP (test helper: does not show up in the request log). */
  createObject(group: string, version: string, plural: string, obj: JsonObject): JsonObject {
    const type = this.store.findType(group, version, plural);
    if (type === undefined) throw new Error(`unknown resource ${group}/${version}/${plural}`);
    const ns = type.namespaced ? String(meta(obj).namespace ?? "default") : undefined;
    return this.create(type, resourceId(group, version, plural), ns, obj);
  }

  private create(type: ResourceType, id: string, ns: string | undefined, body: Json): JsonObject {
    if (!isObject(body)) throw new HttpStatusError(400, "BadRequest", "body must be a JSON object");
    checkMicroTimes(type, body);
    const m = { ...meta(body) };
    if (m.name === undefined && typeof m.generateName === "string") {
      m.name = m.generateName + randomBytes(3).toString("hex").slice(0, 5);
    }
    if (typeof m.name !== "string" || m.name === "")
      throw new HttpStatusError(422, "Invalid", "metadata.name required");
    if (ns !== undefined) m.namespace = ns;
    const obj: JsonObject = { ...body, kind: type.kind, apiVersion: apiVersion(type), metadata: m };
    // With a status subresource, the real server drops status on create.
    if (type.statusSubresource && type.plural !== "customresourcedefinitions" && type.group !== "") {
      delete obj.status;
    }
    if (type.plural === "customresourcedefinitions") {
      obj.status = { conditions: [{ type: "Established", status: "True" }] };
    }
    const created = this.store.create(id, obj);
    if (created === undefined) {
      throw new HttpStatusError(409, "AlreadyExists", `${type.plural} "${m.name}" already exists`);
    }
    if (type.plural === "customresourcedefinitions") this.registerCrd(created);
    return created;
  }

  private patch(
    type: ResourceType,
    id: string,
    ns: string | undefined,
    info: RequestInfo,
    body: Json,
    contentType: string,
  ): JsonObject {
    const cur = this.mustGet(type, id, ns, info.name!);
    checkMicroTimes(type, body);
    const ct = contentType.split(";")[0]!.trim();
    let next: Json;
    try {
      if (ct === "application/merge-patch+json") next = mergePatch(cur, body);
      else if (ct === "application/strategic-merge-patch+json") {
        if (type.group !== "")
          throw new HttpStatusError(
            415,
            "UnsupportedMediaType",
            "strategic merge patch is not supported for custom resources",
          );
        next = strategicMergePatch(cur, body);
      } else if (ct === "application/json-patch+json") next = jsonPatch(cur, body);
      else
        throw new HttpStatusError(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format: ${ct}`,
        );
    } catch (err) {
      if (err instanceof JsonPatchError) throw new HttpStatusError(422, "Invalid", err.message);
      throw err;
    }
    if (!isObject(next)) throw new HttpStatusError(422, "Invalid", "patch result is not an object");
    if (type.statusSubresource) {
      if (info.subresource === "status") next = { ...cur, status: next.status ?? null };
      else next = { ...next, status: cur.status ?? null };
      if (next.status === null) delete next.status;
    }
    const stored = this.store.replace(id, ns, info.name!, next);
    if (stored === undefined) throw notFound(type, info.name!);
    return stored;
  }

  private registerCrd(crd: JsonObject): void {
    for (const t of crdTypes(crd)) this.store.addType(t);
  }

  private unregisterCrd(crd: JsonObject): void {
    for (const t of crdTypes(crd)) this.store.types.delete(resourceId(t.group, t.version, t.plural));
  }

  private sendJson(res: ServerResponse, code: number, obj: Json): void {
    const text = JSON.stringify(obj);
    res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private sendStatus(res: ServerResponse, e: HttpStatusError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.sendJson(res, e.code, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: e.message,
      reason: e.reason,
      code: e.code,
    });
  }
}

function crdTypes(crd: JsonObject): ResourceType[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  return versions.filter(isObject).map((v) => ({
    group: String(spec.group),
    version: String(v.name),
    plural: String(names.plural),
    kind: String(names.kind),
    namespaced: spec.scope === "Namespaced",
    statusSubresource: isObject(v.subresources) && isObject(v.subresources.status),
  }));
}

function apiVersion(t: ResourceType): string {
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}

function notFound(type: ResourceType, name: string): HttpStatusError {
  const gr = type.group === "" ? type.plural : `${type.plural}.${type.group}`;
  return new HttpStatusError(404, "NotFound", `${gr} "${name}" not found`);
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return null;
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new HttpStatusError(400, "BadRequest", "body is not JSON (the stand-in speaks JSON only)");
  }
}

export type { Change };

/** apimachinery's RFC3339Micro: exactly six fractional digits. */
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/**
 * events.k8s.io/v1's eventTime and series.lastObservedTime are MicroTime,
 * which the real server decodes (before any validation) with a fixed
 * six-digit layout: a JavaScript Date's three digits are refused with 400
 * (kubernetes/kubernetes#89156, #141204). The stand-in refuses them too.
 */
function checkMicroTimes(type: ResourceType, body: Json): void {
  if (type.group !== "events.k8s.io" || !isObject(body)) return;
  const series = isObject(body.series) ? body.series : {};
  for (const [field, v] of [
    ["eventTime", body.eventTime],
    ["series.lastObservedTime", series.lastObservedTime],
  ] as const) {
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || !MICRO_TIME.test(v))
      throw new HttpStatusError(
        400,
        "BadRequest",
        `${field}: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse`,
      );
  }
}
