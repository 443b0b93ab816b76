// ipamd's entry point: read settings, build clients, run the Daemon, stop
// cleanly on SIGTERM/SIGINT. Everything else lives in ipamd/daemon.
//
//   node ipamd/main.ts      (development: the sources, type-stripped)
//   deploy/ipamd.sh         (production and the test harness: the bundle
//                            deploy/build-ipamd.ts makes, with deploy/ipamd-node-flags)
// Environment: the settings in ipamd/config/settings.ts (SETTINGS_DOC), plus
//   AWS_ENDPOINT_URL_EC2 / AWS_REGION        EC2 endpoint (emulator) and region (default: IMDS's)
//   AWS_EC2_METADATA_SERVICE_ENDPOINT        IMDS base URL (emulator's per-instance URL)
//   VPC_CNI_LOG_LEVEL                        trace|debug|info|warn|error (default info)
//   VPC_CNI_HOST_NETNS                       dev/test only: a netns path acting as the node
//   KUBERNETES_SERVICE_HOST / KUBECONFIG     the Kubernetes API; neither set = no Kubernetes parts

import type { KubeConfig } from "@kubernetes/client-node";
import { createEc2Client } from "../cloud/ec2/client.ts";
import { createImdsClient } from "../cloud/imds/client.ts";
import { loadSettings } from "./config/settings.ts";
import { Daemon, StartupConfigError } from "./daemon/daemon.ts";
import { kubeConfigured } from "./k8s/configured.ts";
import { createLogger } from "./log.ts";

const EXIT_BAD_SETTINGS = 2;

async function main(): Promise<number> {
  const loaded = loadSettings(process.env);
  if (!loaded.ok) {
    // A person fixes this, not a restart: one plain message naming every variable.
    process.stderr.write(`ipamd: ${loaded.error.message}\n`);
    return EXIT_BAD_SETTINGS;
  }
  const log = createLogger({ level: process.env.VPC_CNI_LOG_LEVEL });
  const hostNetns = process.env.VPC_CNI_HOST_NETNS;
  let kubeconfig: KubeConfig | undefined;
  if (kubeConfigured(process.env)) {
    try {
      // Imported only here: @kubernetes/client-node costs ~80 MiB RSS (bench/profile-mem-imports.ts).
      kubeconfig = (await import("./k8s/client.ts")).loadKubeConfig();
    } catch (e) {
      // Pod networking does not need the API: run without it (custom networking then refuses to start).
      log.error({ err: (e as Error).message }, "cannot load the kubeconfig; Kubernetes parts are off");
    }
  }
  const daemon = new Daemon({
    settings: loaded.settings,
    imds: createImdsClient(),
    makeEc2: (onCall, identity) =>
      createEc2Client({ region: process.env.AWS_REGION || identity.region, onCall }),
    ...(hostNetns ? { hostNetnsPath: hostNetns } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    log,
  });

  let stopping = false;
  const stop = (signal: string) => {
    log.info({ signal }, "stopping");
    if (stopping) return; // a second signal while draining changes nothing
    stopping = true;
    void daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof StartupConfigError) {
      // Like a bad setting: a person fixes it, so a plain message and the same exit code.
      process.stderr.write(`ipamd: ${e.message}\n`);
      return EXIT_BAD_SETTINGS;
    }
    log.fatal({ err: e }, "ipamd failed to start");
    return 1;
  }
  return -1; // keep running until a signal
}

const code = await main();
if (code >= 0) process.exit(code);
