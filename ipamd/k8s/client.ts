// Builds the Kubernetes clients ipamd uses. In a pod the in-cluster
// service-account config applies; outside (dev, tests) KUBECONFIG or
// ~/.kube/config does, as kubectl would pick it.
//
// @kubernetes/client-node provides the KubeConfig (every auth method, TLS,
// in-cluster config) and the Watch; the handful of plain calls go through
// rest.ts with the same authentication. Deep imports, not the package index:
// the index pulls in every generated API and model (rest.ts says what that costs).
// The method names and parameter shapes follow the library's, so a reader who
// knows CoreV1Api knows these.

import type { V1Node, V1PodList } from "@kubernetes/client-node";
import { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { Watch } from "@kubernetes/client-node/dist/watch.js";
import { K8sRest, type PatchType } from "./rest.ts";

export interface KubeConfigSource {
  /** An explicit kubeconfig path beats everything (tests, --kubeconfig). */
  kubeconfigPath?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadKubeConfig(src: KubeConfigSource = {}): KubeConfig {
  const env = src.env ?? process.env;
  const kc = new KubeConfig();
  if (src.kubeconfigPath !== undefined) kc.loadFromFile(src.kubeconfigPath);
  else if (env.KUBECONFIG === undefined && env.KUBERNETES_SERVICE_HOST !== undefined) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export { kubeConfigured } from "./configured.ts";

/** The core/v1 calls ipamd makes: its own Node, the pods scheduled to it. */
export interface CoreApi {
  readNode(p: { name: string }): Promise<V1Node>;
  listPodForAllNamespaces(p: { fieldSelector: string }): Promise<V1PodList>;
  patchNodeStatus(p: { name: string; body: object; patch: PatchType }): Promise<V1Node>;
}

/** A cluster-scoped custom resource (NodeIPAM, ENIConfig). */
export interface CustomResourceRef {
  group: string;
  version: string;
  plural: string;
}

export interface CustomObjectsApi {
  getClusterCustomObject(p: CustomResourceRef & { name: string }): Promise<unknown>;
  listClusterCustomObject(p: CustomResourceRef): Promise<unknown>;
  createClusterCustomObject(p: CustomResourceRef & { body: object }): Promise<unknown>;
  /** The status subresource, merge-patched. */
  patchClusterCustomObjectStatus(p: CustomResourceRef & { name: string; body: object }): Promise<unknown>;
}

/** events.k8s.io/v1. */
export interface EventsApi {
  createNamespacedEvent(p: { namespace: string; body: object }): Promise<unknown>;
  /** Merge-patched. */
  patchNamespacedEvent(p: { name: string; namespace: string; body: object }): Promise<unknown>;
}

/** The API clients ipamd/k8s modules take; built once per process. */
export interface K8sClients {
  kc: KubeConfig;
  core: CoreApi;
  events: EventsApi;
  custom: CustomObjectsApi;
  watch: Watch;
}

const seg = encodeURIComponent;
const crPath = (r: CustomResourceRef) => `/apis/${seg(r.group)}/${seg(r.version)}/${seg(r.plural)}`;
const eventsPath = (namespace: string) => `/apis/events.k8s.io/v1/namespaces/${seg(namespace)}/events`;

export function makeClients(kc: KubeConfig): K8sClients {
  const rest = new K8sRest(kc);
  const core: CoreApi = {
    readNode: (p) => rest.request("GET", `/api/v1/nodes/${seg(p.name)}`),
    listPodForAllNamespaces: (p) =>
      rest.request("GET", "/api/v1/pods", { query: { fieldSelector: p.fieldSelector } }),
    patchNodeStatus: (p) =>
      rest.request("PATCH", `/api/v1/nodes/${seg(p.name)}/status`, { body: p.body, patch: p.patch }),
  };
  const custom: CustomObjectsApi = {
    getClusterCustomObject: (p) => rest.request("GET", `${crPath(p)}/${seg(p.name)}`),
    listClusterCustomObject: (p) => rest.request("GET", crPath(p)),
    createClusterCustomObject: (p) => rest.request("POST", crPath(p), { body: p.body }),
    patchClusterCustomObjectStatus: (p) =>
      rest.request("PATCH", `${crPath(p)}/${seg(p.name)}/status`, { body: p.body, patch: "merge" }),
  };
  const events: EventsApi = {
    createNamespacedEvent: (p) => rest.request("POST", eventsPath(p.namespace), { body: p.body }),
    patchNamespacedEvent: (p) =>
      rest.request("PATCH", `${eventsPath(p.namespace)}/${seg(p.name)}`, { body: p.body, patch: "merge" }),
  };
  return { kc, core, events, custom, watch: new Watch(kc) };
}
