// Typed errors of ipamd/k8s. Callers branch on the class, never on message text.

/** HTTP status of what a call threw (rest.ts's K8sHttpError.code, Watch's statusCode), if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

/** A Kubernetes API call failed; `status` is the HTTP status when there was a response. */
export class K8sApiError extends Error {
  override name = "K8sApiError";
  readonly op: string;
  readonly status: number | undefined;
  constructor(op: string, cause: unknown) {
    const status = httpStatusOf(cause);
    const detail = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    super(`${op}: ${status === undefined ? "" : `HTTP ${status}: `}${detail}`, { cause });
    this.op = op;
    this.status = status;
  }
}

/** Our own Node object is not in the API (wrong NODE_NAME / MY_NODE_NAME?). */
export class NodeNotFoundError extends Error {
  override name = "NodeNotFoundError";
  readonly nodeName: string;
  constructor(nodeName: string) {
    super(
      `Node "${nodeName}" not found in the Kubernetes API: check that MY_NODE_NAME is set from spec.nodeName`,
    );
    this.nodeName = nodeName;
  }
}

/** The node selects an ENIConfig (by label or annotation) that does not exist. */
export class EniConfigNotFoundError extends Error {
  override name = "EniConfigNotFoundError";
  readonly eniConfigName: string;
  constructor(eniConfigName: string, selectedBy: string, existing: readonly string[]) {
    const list = existing.length === 0 ? "none exist" : `existing: ${existing.join(", ")}`;
    super(`ENIConfig "${eniConfigName}" (selected by ${selectedBy}) not found (${list})`);
    this.eniConfigName = eniConfigName;
  }
}

/** The ENIConfig exists but its spec is unusable. */
export class EniConfigInvalidError extends Error {
  override name = "EniConfigInvalidError";
  readonly eniConfigName: string;
  constructor(eniConfigName: string, problem: string) {
    super(`ENIConfig "${eniConfigName}" is invalid: ${problem}`);
    this.eniConfigName = eniConfigName;
  }
}
