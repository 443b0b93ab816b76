// Reading EC2 Query API parameters (form-encoded, `Name.N.Sub` lists) with
// AWS's own errors for missing or malformed values.

import { fault } from "../rules/fault.ts";
import type { Filter } from "../rules/filters.ts";

export class QueryParams {
  readonly #map: Map<string, string>;
  constructor(entries: Iterable<[string, string]>) {
    this.#map = new Map(entries);
  }

  static parse(body: string): QueryParams {
    return new QueryParams(new URLSearchParams(body).entries());
  }

  has(name: string): boolean {
    return this.#map.has(name);
  }

  /** Every key, for fingerprints (pagination tokens) and "is this call filtered?". */
  keys(): string[] {
    return [...this.#map.keys()];
  }

  get(name: string): string | undefined {
    return this.#map.get(name);
  }

  required(name: string): string {
    const v = this.#map.get(name);
    if (v === undefined || v === "") {
      throw fault("MissingParameter", `The request must contain the parameter ${name}`);
    }
    return v;
  }

  int(name: string): number | undefined {
    const v = this.#map.get(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v))
      throw fault("InvalidParameterValue", `Value (${v}) for parameter ${name} is invalid.`);
    return Number(v);
  }

  requiredInt(name: string): number {
    this.required(name);
    return this.int(name)!;
  }

  bool(name: string): boolean | undefined {
    const v = this.#map.get(name);
    if (v === undefined) return undefined;
    if (v !== "true" && v !== "false") {
      throw fault(
        "InvalidParameterValue",
        `Value (${v}) for parameter ${name} is invalid. Expected 'true' or 'false'.`,
      );
    }
    return v === "true";
  }

  /** `Name.1`, `Name.2`, ... in index order. */
  list(name: string): string[] {
    return this.#indexed(name, "").map(([, v]) => v);
  }

  /** Indices N present as `<prefix>.N<suffix>`, sorted. */
  #indexed(prefix: string, suffix: string): [number, string][] {
    const out: [number, string][] = [];
    const head = `${prefix}.`;
    for (const [k, v] of this.#map) {
      if (!k.startsWith(head) || !k.endsWith(suffix)) continue;
      const idx = k.slice(head.length, k.length - suffix.length);
      if (/^\d+$/.test(idx)) out.push([Number(idx), v]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Filter.N.Name + Filter.N.Value.M */
  filters(): Filter[] {
    return this.#indexed("Filter", ".Name").map(([n, name]) => ({
      name,
      values: this.list(`Filter.${n}.Value`),
    }));
  }

  /** `<prefix>.N.Key` / `<prefix>.N.Value` pairs (Tag.N, TagSpecification.M.Tag.N). */
  tags(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [n, key] of this.#indexed(prefix, ".Key"))
      out.set(key, this.get(`${prefix}.${n}.Value`) ?? "");
    return out;
  }

  /** TagSpecification.N for one resource type; tags for other types are refused, as AWS does. */
  tagSpecification(resourceType: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [n, type] of this.#indexed("TagSpecification", ".ResourceType")) {
      if (type !== resourceType) {
        throw fault(
          "InvalidParameterValue",
          `'${type}' is not a valid taggable resource type for this operation.`,
        );
      }
      for (const [k, v] of this.tags(`TagSpecification.${n}.Tag`)) out.set(k, v);
    }
    return out;
  }
}
