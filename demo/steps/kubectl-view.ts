// What an operator sees in Kubernetes while a node is exhausted: `kubectl get
// nodeipams` (the CRD's printer columns from deploy/base/crds/nodeipam.yaml,
// rendered here from the objects: kubectl on this machine is a gcloud
// dispatcher and cannot be relied on), the `kubectl vpccni` summary
// (bin/kubectl-vpccni, run as a process with the harness's kubeconfig), and
// the node's IPAMExhausted condition and Event. Everything is read over the
// stand-in API server's HTTP API with the real @kubernetes/client-node.
// Needs the cluster built with `kubernetes: true`; run it while a node is at
// its limit (after the exhaustion steps).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { loadKubeConfig } from "../../ipamd/k8s/client.ts";
import {
  NODEIPAM_GROUP,
  NODEIPAM_PLURAL,
  NODEIPAM_VERSION,
  type NodeIpamObject,
} from "../../ipamd/k8s/nodeipam-types.ts";
import type { DemoContext, Step } from "./types.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const WAIT_MS = 25_000;

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
}

function printerColumns(): PrinterColumn[] {
  const crd = parseAllDocuments(
    readFileSync(`${REPO}deploy/base/crds/nodeipam.yaml`, "utf8"),
  )[0]!.toJSON() as {
    spec: { versions: { additionalPrinterColumns: PrinterColumn[] }[] };
  };
  return crd.spec.versions[0]!.additionalPrinterColumns;
}

/** kubectl's age format: 45s, 3m, 2h, 4d. */
function age(iso: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `kubectl get nodeipams`: NAME + the printer columns (simple .a.b paths, as the CRD uses). */
export function renderGetNodeIpams(
  items: readonly NodeIpamObject[],
  cols: PrinterColumn[],
  nowMs: number,
): string[] {
  const head = ["NAME", ...cols.map((c) => c.name.toUpperCase())];
  const rows = [...items]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((o) => [
      o.metadata.name,
      ...cols.map((c) => {
        let v: unknown = o;
        for (const p of c.jsonPath.slice(1).split(".")) v = (v as Record<string, unknown> | undefined)?.[p];
        if (v === undefined || v === null) return "<none>";
        return c.type === "date" ? age(String(v), nowMs) : String(v);
      }),
    ]);
  const w = head.map((_, i) => Math.max(...[head, ...rows].map((r) => (r[i] ?? "").length)));
  return [head, ...rows].map((r) =>
    r
      .map((x, i) => x.padEnd(w[i]!))
      .join("   ")
      .trimEnd(),
  );
}

export const kubectlView: Step = {
  title: "kubectl view: NodeIPAM objects, `kubectl vpccni`, node condition and Event",
  async run(ctx: DemoContext) {
    const kube = ctx.cluster.kube;
    if (kube === undefined)
      throw new Error(
        "the demo cluster runs without Kubernetes: build it with createCluster({ kubernetes: true })",
      );
    const kc = loadKubeConfig({ kubeconfigPath: kube.adminKubeconfig });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = async () =>
      (
        (await custom.listClusterCustomObject({
          group: NODEIPAM_GROUP,
          version: NODEIPAM_VERSION,
          plural: NODEIPAM_PLURAL,
        })) as { items: NodeIpamObject[] }
      ).items;

    // ipamd publishes at most once per VPC_CNI_STATUS_INTERVAL_SECONDS: wait for the exhausted node.
    const deadline = Date.now() + WAIT_MS;
    let items = await list();
    let full = items.find((o) => (o.status?.exhausted ?? "None") !== "None");
    while (full === undefined || items.length < ctx.cluster.nodes.length) {
      if (Date.now() > deadline)
        throw new Error(`no exhausted NodeIPAM after ${WAIT_MS} ms (${items.length} objects)`);
      await new Promise((r) => setTimeout(r, 250));
      items = await list();
      full = items.find((o) => (o.status?.exhausted ?? "None") !== "None");
    }

    ctx.note("$ kubectl get nodeipams");
    for (const l of renderGetNodeIpams(items, printerColumns(), Date.now())) ctx.note(`  ${l}`);

    ctx.note(`$ kubectl vpccni --kubeconfig ${kube.adminKubeconfig}`);
    const out = await promisify(execFile)(`${REPO}bin/kubectl-vpccni`, [
      "--kubeconfig",
      kube.adminKubeconfig,
    ]);
    for (const l of out.stdout.trimEnd().split("\n")) ctx.note(`  ${l}`);

    const nodeName = full.metadata.name;
    const node = await kc.makeApiClient(CoreV1Api).readNode({ name: nodeName });
    const cond = node.status?.conditions?.find((x) => x.type === "IPAMExhausted");
    if (cond?.status !== "True")
      throw new Error(`node ${nodeName}: IPAMExhausted is ${cond?.status ?? "missing"}`);
    ctx.note(`$ kubectl describe node ${nodeName}   (condition)`);
    ctx.note(`  IPAMExhausted  ${cond.status}  ${cond.reason}  ${cond.message}`);

    const events = (
      await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: "default" })
    ).items.filter((e) => e.regarding?.kind === "Node" && e.regarding.name === nodeName);
    if (events.length === 0) throw new Error(`node ${nodeName}: no allocation-failure Event`);
    ctx.note(`$ kubectl events --for node/${nodeName}`);
    for (const e of events)
      ctx.note(`  ${e.type}  ${e.reason}  x${e.series?.count ?? 1}  ${e.reportingController}  ${e.note}`);
    return `${nodeName}: ${full.status?.exhausted}; condition IPAMExhausted=True; ${events.length} Event(s)`;
  },
};
