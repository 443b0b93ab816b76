// The eight Kubernetes API calls ipamd makes, sent the way
// @kubernetes/client-node's own Watch sends its request: the KubeConfig
// authenticates a RequestContext (token, client certificate, exec plugin,
// CA) and undici's fetch carries it. What is left out is the library's
// generated API classes: reaching them through the package index bundles
// ~2 MB of generated models and APIs plus ws, socks and tar-stream, and a
// Node process that loads that bundle sits ~10 MiB higher than one loading
// only KubeConfig and Watch (82.0 against 71.4 MiB, three runs each). In
// ipamd itself, which loads most of the same builtins anyway, the saving is
// smaller: RSS with Kubernetes on after churn, four runs each, interleaved
// (bench/profile-rss.ts --kubernetes): 100.8-102.7 against 104.2-111.2 MiB.
// Answers are the API server's JSON as is: timestamps stay strings.
import { stat } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { RequestContext } from "@kubernetes/client-node/dist/gen/http/http.js";
import { type Dispatcher, fetch } from "undici";

/** An answer outside 2xx. `code` is the HTTP status, as on the library's ApiException (httpStatusOf reads it). */
export class K8sHttpError extends Error {
  override name = "K8sHttpError";
  readonly code: number;
  readonly body: string;
  constructor(method: string, path: string, code: number, body: string) {
    // The API server's Status message says why (forbidden by RBAC, not found, conflict).
    let why = body.slice(0, 300);
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === "string") why = status.message;
    } catch {
      // not JSON: keep the raw text
    }
    super(`${method} ${path}: HTTP ${code}${why ? `: ${why}` : ""}`);
    this.code = code;
    this.body = body;
  }
}

/** How a PATCH body merges into the object (its Content-Type). */
export type PatchType = "merge" | "strategic";
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** A hung API server must not hold a status write or a list forever. */
export const DEFAULT_K8S_REQUEST_TIMEOUT_MS = 30_000;

/**
 * What the library builds a call's undici Agent from: the server, proxy and
 * TLS settings, the CA and the client certificate and key, files by path and
 * modification time (kubelet rotates certificate files in place).
 */
export async function dispatcherKey(kc: KubeConfig): Promise<string> {
  const c = kc.getCurrentCluster();
  const u = kc.getCurrentUser();
  const file = async (path: string | undefined) => {
    if (!path) return "";
    try {
      return `${path}@${(await stat(path)).mtimeMs}`;
    } catch {
      return `${path}@missing`;
    }
  };
  return JSON.stringify([
    c?.server,
    c?.proxyUrl,
    c?.skipTLSVerify,
    c?.tlsServerName,
    c?.caData,
    await file(c?.caFile),
    u?.certData,
    await file(u?.certFile),
    u?.keyData,
    await file(u?.keyFile),
  ]);
}

export class K8sRest {
  readonly #kc: KubeConfig;
  readonly #timeoutMs: number;
  /**
   * One connection pool (keep-alive) for as long as dispatcherKey stays the
   * same. applySecurityAuthentication builds a new Agent per call, so every
   * call opened a new TCP and TLS connection: across a 1,000-node cluster,
   * each status write and Event cost the API server a handshake.
   */
  #pool: { key: string; dispatcher: Dispatcher } | undefined;

  constructor(kc: KubeConfig, timeoutMs = DEFAULT_K8S_REQUEST_TIMEOUT_MS) {
    this.#kc = kc;
    this.#timeoutMs = timeoutMs;
  }

  /** The cached pool when the TLS material is unchanged; else `fresh` becomes the pool and the old one is closed. */
  async #dispatcher(fresh: Dispatcher | undefined): Promise<Dispatcher | undefined> {
    if (fresh === undefined) return undefined;
    const key = await dispatcherKey(this.#kc);
    if (this.#pool?.key === key) {
      void fresh.close().catch(() => {}); // never connected: nothing to wait for
      return this.#pool.dispatcher;
    }
    const old = this.#pool;
    this.#pool = { key, dispatcher: fresh };
    // close() lets requests already on the old pool finish.
    if (old) void old.dispatcher.close().catch(() => {});
    return fresh;
  }

  /** JSON in, JSON out; throws K8sHttpError for a non-2xx answer, the transport's error otherwise. */
  async request<T>(
    method: "GET" | "POST" | "PATCH",
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; patch?: PatchType } = {},
  ): Promise<T> {
    const cluster = this.#kc.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    const url = new URL(cluster.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), method);
    await this.#kc.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), Accept: "application/json" };
    if (opts.body !== undefined)
      headers["Content-Type"] = opts.patch ? PATCH_CONTENT_TYPE[opts.patch] : "application/json";
    const res = await fetch(url, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      dispatcher: await this.#dispatcher(ctx.getDispatcher()),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new K8sHttpError(method, path, res.status, text);
    return (text === "" ? {} : JSON.parse(text)) as T;
  }
}
