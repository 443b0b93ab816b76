// EC2 Describe* filters, pure. A resource matches when EVERY filter matches
// (AND), and a filter matches when ANY of its values matches (OR). Values may
// use the `*` and `?` wildcards, as on AWS. `tag:<key>` and `tag-key` work on
// every resource type.

import { fault } from "./fault.ts";

export interface Filter {
  name: string;
  values: string[];
}

/** For one resource type: filter name -> the resource's values for it. */
export type FilterFields<T> = Readonly<Record<string, (r: T) => readonly (string | undefined)[]>>;

function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function valueMatches(pattern: string, value: string): boolean {
  return pattern.includes("*") || pattern.includes("?") ? wildcard(pattern).test(value) : pattern === value;
}

/** Throws InvalidParameterValue for a filter name the resource type does not know (as AWS). */
export function validateFilters<T>(filters: readonly Filter[], fields: FilterFields<T>): void {
  for (const f of filters) {
    if (f.name.startsWith("tag:") || f.name === "tag-key" || f.name in fields) continue;
    throw fault("InvalidParameterValue", `The filter '${f.name}' is invalid`);
  }
}

export function matchesFilters<T>(
  resource: T,
  tags: ReadonlyMap<string, string>,
  filters: readonly Filter[],
  fields: FilterFields<T>,
): boolean {
  return filters.every((f) => {
    let actual: readonly (string | undefined)[];
    if (f.name.startsWith("tag:")) actual = [tags.get(f.name.slice(4))];
    else if (f.name === "tag-key") actual = [...tags.keys()];
    else actual = fields[f.name]?.(resource) ?? [];
    return actual.some((a) => a !== undefined && f.values.some((p) => valueMatches(p, a)));
  });
}
