// The three patch flavours the Kubernetes API accepts as JSON, reduced to what
// the stand-in needs to behave like the real server for our callers:
//   - JSON merge patch (RFC 7386): objects merge, null deletes, arrays replace.
//   - Strategic merge patch: like merge patch, except lists that Kubernetes
//     declares with a patchMergeKey merge element-by-element on that key.
//     Only the keys we rely on are modelled (status.conditions by "type",
//     which is what makes a kubelet-safe Node condition patch possible).
//   - JSON patch (RFC 6902): add/replace/remove on object paths.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Field name -> merge key for lists that strategic merge patch merges by key.
const MERGE_KEYS: Record<string, string> = { conditions: "type", addresses: "type" };

export function strategicMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    const key = MERGE_KEYS[k];
    const cur = out[k];
    if (v === null) delete out[k];
    else if (key !== undefined && Array.isArray(v) && Array.isArray(cur)) out[k] = mergeList(cur, v, key);
    else out[k] = strategicMergePatch(cur, v);
  }
  return out;
}

function mergeList(cur: Json[], patch: Json[], key: string): Json[] {
  const out = [...cur];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const idx = out.findIndex((c) => isObject(c) && c[key] === item[key]);
    if (idx < 0) out.push(item);
    else out[idx] = strategicMergePatch(out[idx], item);
  }
  return out;
}

export class JsonPatchError extends Error {
  override name = "JsonPatchError";
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new JsonPatchError("JSON patch must be an array");
  let doc = structuredClone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op.path !== "string" || typeof op.op !== "string") {
      throw new JsonPatchError("bad operation");
    }
    const parts = op.path
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop();
    if (last === undefined) {
      doc = op.value ?? null;
      continue;
    }
    let parent: Json = doc;
    for (const p of parts) {
      const next: Json | undefined = isObject(parent) ? parent[p] : undefined;
      if (next === undefined) throw new JsonPatchError(`path not found: ${op.path}`);
      parent = next;
    }
    if (!isObject(parent)) throw new JsonPatchError(`not an object at ${op.path}`);
    if (op.op === "remove") delete parent[last];
    else if (op.op === "add" || op.op === "replace") parent[last] = op.value ?? null;
    else throw new JsonPatchError(`unsupported op ${op.op}`);
  }
  return doc;
}
