// Custom networking at start: read our Node, pick its ENIConfig (annotation,
// else label, as ipamd/k8s/node-info.ts documents) and resolve it, retrying
// until it works. Without it ipamd would create ENIs in the wrong subnet, so
// the pool does not start before (the AWS VPC CNI waits the same way); each
// failure is logged with what to fix (missing Node, missing ENIConfig).

import type { K8sClients } from "../k8s/client.ts";
import {
  type EniConfigSpec,
  type NodeInfo,
  readNodeInfo,
  resolveEniConfig,
  selectEniConfig,
} from "../k8s/node-info.ts";
import type { Logger } from "../log.ts";

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

export interface EniConfigWait {
  clients: K8sClients;
  nodeName: string;
  labelDef: string;
  annotationDef: string;
  log: Logger;
  signal: AbortSignal;
  onError?: (err: unknown) => void;
}

export async function waitForEniConfig(
  w: EniConfigWait,
): Promise<{ node: NodeInfo; eniConfig: EniConfigSpec }> {
  for (let i = 0; ; i++) {
    w.signal.throwIfAborted();
    try {
      const node = await readNodeInfo(w.clients.core, w.nodeName);
      const sel = selectEniConfig(node, { labelDef: w.labelDef, annotationDef: w.annotationDef });
      const eniConfig = await resolveEniConfig(w.clients.custom, sel);
      w.log.info(
        { eniConfig: eniConfig.name, selectedBy: sel.selectedBy, subnet: eniConfig.subnetId },
        "custom networking: new ENIs use the ENIConfig's subnet",
      );
      return { node, eniConfig };
    } catch (err) {
      w.onError?.(err);
      const ms = RETRY_MS[Math.min(i, RETRY_MS.length - 1)]!;
      w.log.warn(
        { err: (err as Error).message, retryInMs: ms },
        "custom networking: no usable ENIConfig yet; the pool waits",
      );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        w.signal.addEventListener(
          "abort",
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
}
