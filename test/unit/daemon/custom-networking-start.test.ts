// Custom networking needs the Kubernetes API (the ENIConfig): without a
// kubeconfig, or without the node's name, ipamd refuses to start with an
// error naming the setting, before it touches IMDS or EC2.

import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../ipamd/config/settings.ts";
import { Daemon, StartupConfigError } from "../../../ipamd/daemon/daemon.ts";
import { createLogger } from "../../../ipamd/log.ts";

function daemon(env: Record<string, string>, kubeconfig?: KubeConfig) {
  const r = loadSettings(env);
  if (!r.ok) throw r.error;
  let touched = false;
  const imds = new Proxy(
    {},
    {
      get() {
        touched = true;
        throw new Error("IMDS must not be called");
      },
    },
  ) as never;
  const d = new Daemon({
    settings: r.settings,
    imds,
    makeEc2: () => {
      throw new Error("EC2 must not be built");
    },
    log: createLogger({ level: "error" }),
    ...(kubeconfig ? { kubeconfig } : {}),
  });
  return { d, touched: () => touched };
}

describe("custom networking at start", () => {
  it("without Kubernetes: a start-up error naming AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", async () => {
    const { d, touched } = daemon({ AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true", NODE_NAME: "n" });
    const err = await d.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupConfigError);
    expect((err as Error).message).toMatch(
      /AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true needs the Kubernetes API/,
    );
    expect(touched()).toBe(false);
  });
  it("with Kubernetes but no node name: names NODE_NAME / MY_NODE_NAME", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    const { d } = daemon({ AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true" }, kc);
    await expect(d.start()).rejects.toThrow(/NODE_NAME \(or MY_NODE_NAME\)/);
  });
});
