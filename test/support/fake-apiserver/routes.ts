// Parses a Kubernetes REST path into (group, version, resource, namespace,
// name, subresource) and derives the RBAC verb of a request, the same way the
// real API server's RequestInfoFactory does for the paths we serve.

export interface RequestInfo {
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** RBAC verb: get, list, watch, create, update, patch, delete. */
  verb: string;
}

export function parsePath(method: string, pathname: string, query: URLSearchParams): RequestInfo | undefined {
  const parts = pathname.split("/").filter((p) => p !== "");
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 2) {
    group = "";
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (resource === undefined || rest.length > 3) return undefined;
  return { group, version, resource, namespace, name, subresource, verb: verbOf(method, name, query) };
}

function verbOf(method: string, name: string | undefined, query: URLSearchParams): string {
  switch (method) {
    case "GET":
      if (query.get("watch") === "true" || query.get("watch") === "1") return "watch";
      return name === undefined ? "list" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return name === undefined ? "deletecollection" : "delete";
    default:
      return method.toLowerCase();
  }
}
