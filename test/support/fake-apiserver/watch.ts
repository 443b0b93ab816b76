// Watch streams of the stand-in: newline-delimited JSON watch events over a
// chunked 200 response, as the real API server sends them. Resuming from a
// resourceVersion replays retained history; one older than the retained
// history gets the real server's answer, an ERROR event carrying a 410
// "Expired" Status, then the stream ends. BOOKMARK events carry only the
// current resourceVersion.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonObject } from "./patch.ts";
import {
  type Change,
  type FieldRequirement,
  matchesFields,
  meta,
  parseFieldSelector,
  type ResourceType,
  type Store,
} from "./store.ts";

export interface WatchOptions {
  resourceVersion: string;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
  matches(obj: JsonObject): boolean;
}

export function watchOptions(q: URLSearchParams): WatchOptions {
  const fields: FieldRequirement[] = parseFieldSelector(q.get("fieldSelector"));
  const t = q.get("timeoutSeconds");
  return {
    resourceVersion: q.get("resourceVersion") ?? "",
    allowBookmarks: q.get("allowWatchBookmarks") === "true",
    timeoutSeconds: t === null ? undefined : Number(t),
    matches: (o) => matchesFields(o, fields),
  };
}

interface OpenWatch {
  res: ServerResponse;
  type: ResourceType;
  allowBookmarks: boolean;
  close(): void;
}

export class Watches {
  private readonly open_ = new Set<OpenWatch>();
  private readonly store: Store;
  private readonly timer?: NodeJS.Timeout;

  constructor(store: Store, bookmarkIntervalMs: number) {
    this.store = store;
    if (bookmarkIntervalMs > 0) {
      this.timer = setInterval(() => this.bookmarkAll(), bookmarkIntervalMs);
      this.timer.unref();
    }
  }

  open(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    id: string,
    ns: string | undefined,
    opts: WatchOptions,
  ): void {
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const send = (type_: string, obj: JsonObject) =>
      res.write(`${JSON.stringify({ type: type_, object: obj })}\n`);
    const inScope = (o: JsonObject) => ns === undefined || meta(o).namespace === ns;

    // Deliver one store change through this watch's namespace + field filter:
    // an object that starts/stops matching a fieldSelector shows up as ADDED/DELETED.
    const deliver = (c: Change) => {
      if (c.resource !== id || !inScope(c.obj)) return;
      const now = opts.matches(c.obj);
      const before = c.old !== undefined && opts.matches(c.old);
      if (c.type === "MODIFIED") {
        if (now && before) send("MODIFIED", c.obj);
        else if (now) send("ADDED", c.obj);
        else if (before) send("DELETED", c.obj);
      } else if (now) send(c.type, c.obj);
    };

    const rv = opts.resourceVersion;
    if (rv === "" || rv === "0") {
      for (const o of this.store.list(id, ns)) if (opts.matches(o)) send("ADDED", o);
    } else {
      const changes = this.store.since(Number(rv));
      if (changes === "expired") {
        send("ERROR", {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `too old resource version: ${rv} (${this.store.rv})`,
          reason: "Expired",
          code: 410,
        });
        res.end();
        return;
      }
      for (const c of changes) deliver(c);
    }

    const unsubscribe = this.store.onChange(deliver);
    let timeout: NodeJS.Timeout | undefined;
    const w: OpenWatch = {
      res,
      type,
      allowBookmarks: opts.allowBookmarks,
      close: () => {
        unsubscribe();
        if (timeout) clearTimeout(timeout);
        this.open_.delete(w);
        if (!res.writableEnded) res.end();
      },
    };
    this.open_.add(w);
    if (opts.timeoutSeconds !== undefined) timeout = setTimeout(() => w.close(), opts.timeoutSeconds * 1000);
    req.on("close", () => w.close());
  }

  bookmarkAll(): number {
    let n = 0;
    for (const w of this.open_) {
      if (!w.allowBookmarks) continue;
      const apiVersion = w.type.group === "" ? w.type.version : `${w.type.group}/${w.type.version}`;
      const obj = { kind: w.type.kind, apiVersion, metadata: { resourceVersion: String(this.store.rv) } };
      w.res.write(`${JSON.stringify({ type: "BOOKMARK", object: obj })}\n`);
      n++;
    }
    return n;
  }

  closeAll(): void {
    for (const w of [...this.open_]) w.close();
  }
}
