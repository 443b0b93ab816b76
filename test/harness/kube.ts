// The harness's optional Kubernetes (createCluster({ kubernetes: true })):
// the stand-in API server (test/support/fake-apiserver: the real REST API
// over HTTP, no kube-apiserver can run here) on 127.0.0.1 in the root
// namespace, bridged into each node namespace with ns-proxy like the
// emulator, the CRDs from deploy/base/crds, one Node object per node, and a
// kubeconfig per node for its ipamd (KUBECONFIG) with the vpc-cni service
// account's token. The ClusterRole in deploy/base/rbac.yaml is ENFORCED for
// that token: a call ipamd makes that the manifests do not grant fails (403)
// and shows in the request log.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { createNode, installCrds, writeKubeconfig } from "../support/fake-apiserver/fixtures.ts";
import type { JsonObject } from "../support/fake-apiserver/patch.ts";
import type { RequestInfo } from "../support/fake-apiserver/routes.ts";
import { FakeApiServer } from "../support/fake-apiserver/server.ts";

const DEPLOY = fileURLToPath(new URL("../../deploy/base/", import.meta.url));
/** ipamd's identity: the DaemonSet's service account. */
export const IPAMD_USER = "system:serviceaccount:kube-system:vpc-cni";
/** Everyone else (tests, the kubectl plugin): unrestricted. */
export const ADMIN_USER = "admin";

export interface ClusterKube {
  readonly api: FakeApiServer;
  /** http://127.0.0.1:PORT, the same inside node namespaces. */
  readonly url: string;
  /** An unrestricted kubeconfig (kubectl-vpccni, tests). */
  readonly adminKubeconfig: string;
  /** "group resource[/sub] verb" granted to ipamd by deploy/base/rbac.yaml. */
  readonly granted: ReadonlySet<string>;
  /** Deletes a Pod object only (as the API server does when a pod is force-deleted and no CNI DEL comes). */
  deletePodObject(pod: { namespace: string; name: string }): void;
  podObjectExists(pod: { namespace: string; name: string }): boolean;
}

export function grantKey(i: Pick<RequestInfo, "group" | "resource" | "subresource" | "verb">): string {
  return `${i.group || "core"} ${i.subresource ? `${i.resource}/${i.subresource}` : i.resource} ${i.verb}`;
}

function grantsFromRbac(): Set<string> {
  const role = parseAllDocuments(readFileSync(join(DEPLOY, "rbac.yaml"), "utf8"))
    .map((d) => d.toJSON() as JsonObject)
    .find((o) => o.kind === "ClusterRole") as
    | { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }
    | undefined;
  const out = new Set<string>();
  for (const r of role?.rules ?? [])
    for (const g of r.apiGroups)
      for (const res of r.resources) {
        const [resource = "", subresource] = res.split("/");
        for (const verb of r.verbs) out.add(grantKey({ group: g, resource, subresource, verb }));
      }
  return out;
}

export async function startKube(tmpDir: string): Promise<ClusterKube & { close(): Promise<void> }> {
  const granted = grantsFromRbac();
  const api = new FakeApiServer({
    authorize: (user, info) => user !== IPAMD_USER || granted.has(grantKey(info)),
  });
  const url = await api.start();
  const crdDir = join(DEPLOY, "crds");
  installCrds(
    api,
    readdirSync(crdDir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => readFileSync(join(crdDir, f), "utf8")),
  );
  const adminKubeconfig = join(tmpDir, "kubeconfig-admin");
  writeKubeconfig(api, ADMIN_USER, adminKubeconfig);
  return {
    api,
    url,
    adminKubeconfig,
    granted,
    deletePodObject: (p) => {
      if (api.store.delete("/v1/pods", p.namespace, p.name) === undefined)
        throw new Error(`no Pod object ${p.namespace}/${p.name}`);
    },
    podObjectExists: (p) => api.store.get("/v1/pods", p.namespace, p.name) !== undefined,
    close: () => api.stop(),
  };
}

/** The Node object of one node (labels as EKS sets them) and the kubeconfig its ipamd reads. */
export function addKubeNode(
  kube: ClusterKube,
  node: { name: string; instanceType: string; zone: string; stateDir: string; maxPods?: number },
): string {
  createNode(
    kube.api,
    node.name,
    {
      "node.kubernetes.io/instance-type": node.instanceType,
      "topology.kubernetes.io/zone": node.zone,
      "kubernetes.io/hostname": node.name,
    },
    {},
    node.maxPods,
  );
  const path = join(node.stateDir, "kubeconfig");
  writeKubeconfig(kube.api, IPAMD_USER, path);
  return path;
}

/** A Pod object bound to the node, created before the CNI ADD as the scheduler and kubelet do. */
export function createPodObject(
  kube: ClusterKube,
  node: string,
  pod: { namespace: string; name: string },
): void {
  if (kube.podObjectExists(pod)) return;
  kube.api.createObject("", "v1", "pods", {
    metadata: { name: pod.name, namespace: pod.namespace },
    spec: { nodeName: node, containers: [{ name: "c", image: "pause" }] },
    status: { phase: "Pending" },
  });
}
