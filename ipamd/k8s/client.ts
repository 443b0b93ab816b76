// Builds the @kubernetes/client-node clients ipamd uses. In a pod the
// in-cluster service-account config applies; outside (dev, tests) KUBECONFIG
// or ~/.kube/config does, as kubectl would pick it.

import { CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, Watch } from "@kubernetes/client-node";

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

/** The API clients ipamd/k8s modules take; built once per process. */
export interface K8sClients {
  kc: KubeConfig;
  core: CoreV1Api;
  events: EventsV1Api;
  custom: CustomObjectsApi;
  watch: Watch;
}

export function makeClients(kc: KubeConfig): K8sClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    events: kc.makeApiClient(EventsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    watch: new Watch(kc),
  };
}
