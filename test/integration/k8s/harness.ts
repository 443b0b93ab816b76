// Shared set-up for the ipamd/k8s integration tests: a stand-in API server with
// the CRDs from deploy/crds installed, and the real @kubernetes/client-node
// clients authenticated as ipamd's service account token.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type K8sClients, makeClients } from "../../../ipamd/k8s/client.ts";
import { installCrds, kubeConfigFor } from "../../support/fake-apiserver/fixtures.ts";
import { FakeApiServer, type FakeApiServerOptions } from "../../support/fake-apiserver/server.ts";

export const IPAMD_TOKEN = "system:serviceaccount:kube-system:vpc-cni";
export const ADMIN_TOKEN = "admin";
export const DEPLOY_DIR = join(import.meta.dirname, "../../../deploy");

export function crdTexts(): string[] {
  const dir = join(DEPLOY_DIR, "base", "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

export async function startStandIn(
  opts: FakeApiServerOptions = {},
): Promise<{ api: FakeApiServer; clients: K8sClients }> {
  const api = new FakeApiServer(opts);
  await api.start();
  installCrds(api, crdTexts());
  return { api, clients: makeClients(kubeConfigFor(api, IPAMD_TOKEN)) };
}
