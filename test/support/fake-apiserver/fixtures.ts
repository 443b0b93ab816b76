// Test helpers for the stand-in: nodes and pods created/deleted directly in
// its store (so they do not appear in the request log that RBAC tests read),
// and a KubeConfig / kubeconfig file pointing a given user (bearer token) at it.

import { writeFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import type { JsonObject } from "./patch.ts";
import type { FakeApiServer } from "./server.ts";

export function createNode(
  api: FakeApiServer,
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  /** status.capacity.pods as kubelet reports it (its --max-pods); unset when undefined. */
  capacityPods?: number,
): JsonObject {
  return api.createObject("", "v1", "nodes", {
    metadata: { name, labels, annotations },
    spec: { providerID: `aws:///us-west-2a/i-${name}` },
    status: {
      ...(capacityPods === undefined ? {} : { capacity: { pods: String(capacityPods) } }),
      conditions: [
        { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
      ],
    },
  });
}

export function createPod(api: FakeApiServer, namespace: string, name: string, nodeName: string): JsonObject {
  return api.createObject("", "v1", "pods", {
    metadata: { name, namespace },
    spec: { nodeName, containers: [{ name: "c", image: "pause" }] },
    status: { phase: "Running" },
  });
}

export function deletePod(api: FakeApiServer, namespace: string, name: string): void {
  if (api.store.delete("/v1/pods", namespace, name) === undefined)
    throw new Error(`no pod ${namespace}/${name}`);
}

export function createEniConfig(
  api: FakeApiServer,
  name: string,
  subnet: string,
  securityGroups: string[],
): JsonObject {
  return api.createObject("crd.k8s.amazonaws.com", "v1alpha1", "eniconfigs", {
    metadata: { name },
    spec: { subnet, securityGroups },
  });
}

export function kubeConfigFor(api: FakeApiServer, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "stand-in", server: api.url, skipTLSVerify: true }],
    users: [{ name: token, token }],
    contexts: [{ name: "ctx", cluster: "stand-in", user: token }],
    currentContext: "ctx",
  });
  return kc;
}

/** Writes a kubeconfig file (for subprocesses such as the kubectl plugin). */
export function writeKubeconfig(api: FakeApiServer, token: string, path: string): void {
  const text = JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    // client-node refuses plain http unless skip-TLS-verify is set.
    clusters: [{ name: "stand-in", cluster: { server: api.url, "insecure-skip-tls-verify": true } }],
    users: [{ name: token, user: { token } }],
    contexts: [{ name: "ctx", context: { cluster: "stand-in", user: token } }],
    "current-context": "ctx",
  });
  writeFileSync(path, text);
}

/** Creates every CustomResourceDefinition found in the YAML files given (e.g. deploy/crds/*.yaml). */
export function installCrds(api: FakeApiServer, yamlTexts: string[]): string[] {
  const names: string[] = [];
  for (const text of yamlTexts) {
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJSON() as JsonObject | null;
      if (obj?.kind !== "CustomResourceDefinition") continue;
      const created = api.createObject("apiextensions.k8s.io", "v1", "customresourcedefinitions", obj);
      names.push(String((created.metadata as JsonObject).name));
    }
  }
  return names;
}
