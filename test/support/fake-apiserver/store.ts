// In-memory object store of the stand-in API server: one global, increasing
// resourceVersion (like etcd's revision), a bounded history of changes so a
// watch can resume from a resourceVersion, and "compaction" that makes older
// resourceVersions answer 410 Gone exactly as a real API server does.

import { randomUUID } from "node:crypto";
import { isObject, type Json, type JsonObject } from "./patch.ts";

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource: the main endpoint ignores status, /status ignores the rest. */
  statusSubresource: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  rv: number;
  type: WatchEventType;
  resource: string;
  obj: JsonObject;
  /** The object before the change (MODIFIED only): decides whether a filtered watch saw it. */
  old?: JsonObject;
}

export function resourceId(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function objKey(ns: string | undefined, name: string): string {
  return `${ns ?? ""}/${name}`;
}

export function meta(obj: JsonObject): JsonObject {
  const m = obj.metadata;
  return isObject(m) ? m : {};
}

export class Store {
  readonly types = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  private history: Change[] = [];
  /** Watches from a resourceVersion below this answer 410 Gone. */
  private oldestRv = 0;
  rv = 1;
  private readonly listeners = new Set<(c: Change) => void>();

  private readonly historyLimit: number;

  constructor(historyLimit = 1000) {
    this.historyLimit = historyLimit;
  }

  addType(t: ResourceType): void {
    const id = resourceId(t.group, t.version, t.plural);
    this.types.set(id, t);
    if (!this.objects.has(id)) this.objects.set(id, new Map());
  }

  findType(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(resourceId(group, version, plural));
  }

  onChange(fn: (c: Change) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(resource: string, ns: string | undefined, name: string): JsonObject | undefined {
    const o = this.objects.get(resource)?.get(objKey(ns, name));
    return o === undefined ? undefined : structuredClone(o);
  }

  /** Sorted by namespace/name, as etcd's key order makes a real list. */
  list(resource: string, ns?: string): JsonObject[] {
    const entries = [...(this.objects.get(resource)?.entries() ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
    const all = entries.map(([, o]) => o);
    return all.filter((o) => ns === undefined || meta(o).namespace === ns).map((o) => structuredClone(o));
  }

  /** Creates; returns undefined when the name is taken. */
  create(resource: string, obj: JsonObject): JsonObject | undefined {
    const m = meta(obj);
    const name = String(m.name ?? "");
    const ns = typeof m.namespace === "string" ? m.namespace : undefined;
    const map = this.bucket(resource);
    if (map.has(objKey(ns, name))) return undefined;
    const stored = structuredClone(obj);
    const rv = ++this.rv;
    stored.metadata = {
      ...m,
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      resourceVersion: String(rv),
    };
    map.set(objKey(ns, name), stored);
    this.record({ rv, type: "ADDED", resource, obj: stored });
    return structuredClone(stored);
  }

  /** Replaces an existing object (keeps uid/creationTimestamp); undefined when missing. */
  replace(resource: string, ns: string | undefined, name: string, next: JsonObject): JsonObject | undefined {
    const map = this.bucket(resource);
    const old = map.get(objKey(ns, name));
    if (old === undefined) return undefined;
    const rv = ++this.rv;
    const om = meta(old);
    const stored = structuredClone(next);
    stored.metadata = {
      ...meta(next),
      name,
      ...(ns === undefined ? {} : { namespace: ns }),
      uid: om.uid ?? null,
      creationTimestamp: om.creationTimestamp ?? null,
      resourceVersion: String(rv),
    };
    map.set(objKey(ns, name), stored);
    this.record({ rv, type: "MODIFIED", resource, obj: stored, old });
    return structuredClone(stored);
  }

  delete(resource: string, ns: string | undefined, name: string): JsonObject | undefined {
    const map = this.bucket(resource);
    const old = map.get(objKey(ns, name));
    if (old === undefined) return undefined;
    map.delete(objKey(ns, name));
    const rv = ++this.rv;
    const gone: JsonObject = { ...old, metadata: { ...meta(old), resourceVersion: String(rv) } };
    this.record({ rv, type: "DELETED", resource, obj: gone });
    return structuredClone(gone);
  }

  /** Changes after `rv`, or "expired" when history no longer reaches back that far. */
  since(rv: number): Change[] | "expired" {
    if (rv < this.oldestRv) return "expired";
    return this.history.filter((c) => c.rv > rv);
  }

  /** Forgets all history: any watch resuming from an older resourceVersion gets 410. */
  compact(): void {
    this.history = [];
    this.oldestRv = this.rv;
  }

  private bucket(resource: string): Map<string, JsonObject> {
    let m = this.objects.get(resource);
    if (m === undefined) {
      m = new Map();
      this.objects.set(resource, m);
    }
    return m;
  }

  private record(c: Change): void {
    this.history.push(c);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.oldestRv = dropped.rv;
    }
    for (const l of this.listeners) l(c);
  }
}

/** Reads a dotted field path (e.g. "spec.nodeName") from an object as a string, "" when absent. */
export function fieldValue(obj: Json, path: string): string {
  let cur: Json | undefined = obj;
  for (const p of path.split(".")) cur = isObject(cur) ? cur[p] : undefined;
  return cur === undefined || cur === null ? "" : String(cur);
}

export interface FieldRequirement {
  path: string;
  op: "=" | "!=";
  value: string;
}

/** Parses a fieldSelector ("spec.nodeName=a,metadata.name!=b"). */
export function parseFieldSelector(sel: string | null): FieldRequirement[] {
  if (!sel) return [];
  return sel.split(",").map((part) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(part.trim());
    if (!m) throw new Error(`invalid field selector: ${part}`);
    return { path: m[1]!, op: m[2] === "!=" ? "!=" : "=", value: m[3]! };
  });
}

export function matchesFields(obj: JsonObject, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => (fieldValue(obj, r.path) === r.value) === (r.op === "="));
}
