// kubectl-vpccni: `kubectl vpccni [--kubeconfig PATH]` prints every node's
// address headroom and every subnet's usage from the NodeIPAM objects.
// Exit codes: 0 ok, 1 API error, 2 usage.

import { CustomObjectsApi } from "@kubernetes/client-node";
import { loadKubeConfig } from "../../ipamd/k8s/client.ts";
import {
  NODEIPAM_GROUP,
  NODEIPAM_PLURAL,
  NODEIPAM_VERSION,
  type NodeIpamObject,
} from "../../ipamd/k8s/nodeipam-types.ts";
import { render } from "./render.ts";
import { summarize } from "./summary.ts";

const USAGE = "usage: kubectl vpccni [--kubeconfig PATH]\n";

async function main(argv: string[]): Promise<number> {
  let kubeconfigPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--kubeconfig") kubeconfigPath = argv[++i];
    else if (a.startsWith("--kubeconfig=")) kubeconfigPath = a.slice("--kubeconfig=".length);
    else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE);
      return 0;
    } else {
      process.stderr.write(`unknown argument ${a}\n${USAGE}`);
      return 2;
    }
  }
  try {
    const kc = loadKubeConfig(kubeconfigPath === undefined ? {} : { kubeconfigPath });
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({
      group: NODEIPAM_GROUP,
      version: NODEIPAM_VERSION,
      plural: NODEIPAM_PLURAL,
    })) as { items: NodeIpamObject[] };
    process.stdout.write(render(summarize(list.items)));
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    process.stderr.write(
      `kubectl-vpccni: cannot list ${NODEIPAM_PLURAL}.${NODEIPAM_GROUP}: ${code ?? ""} ${String(err).split("\n")[0]}\n`,
    );
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
