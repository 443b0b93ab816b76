// The Kubernetes-related settings the daemon reads (ipamd/config/settings.ts).
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../../ipamd/config/settings.ts";
import { kubeConfigured } from "../../../ipamd/k8s/client.ts";

const ok = (env: Record<string, string>) => {
  const r = loadSettings(env);
  if (!r.ok) throw r.error;
  return r.settings;
};

describe("Kubernetes settings", () => {
  it("defaults", () => {
    const s = ok({});
    expect(s.statusIntervalMs).toBe(10_000);
    expect(s.eventIntervalMs).toBe(300_000);
    expect(s.podReleaseGraceMs).toBe(60_000);
    expect(s.eniConfigAnnotationDef).toBe("k8s.amazonaws.com/eniConfig");
    expect(s.nodeName).toBeUndefined();
  });
  it("seconds in, milliseconds out; 0 refused (no write storms, no instant release)", () => {
    const s = ok({
      VPC_CNI_STATUS_INTERVAL_SECONDS: "2",
      VPC_CNI_EVENT_INTERVAL_SECONDS: "3",
      VPC_CNI_POD_RELEASE_GRACE_SECONDS: "4",
    });
    expect([s.statusIntervalMs, s.eventIntervalMs, s.podReleaseGraceMs]).toEqual([2000, 3000, 4000]);
    const bad = loadSettings({
      VPC_CNI_STATUS_INTERVAL_SECONDS: "0",
      VPC_CNI_POD_RELEASE_GRACE_SECONDS: "0",
    });
    expect(bad.ok ? [] : bad.error.problems.map((p) => p.name)).toEqual([
      "VPC_CNI_STATUS_INTERVAL_SECONDS",
      "VPC_CNI_POD_RELEASE_GRACE_SECONDS",
    ]);
  });
  it("MY_NODE_NAME is the AWS VPC CNI's alias of NODE_NAME; NODE_NAME wins; both validated", () => {
    expect(ok({ MY_NODE_NAME: "ip-10-0-1-5.ec2.internal" }).nodeName).toBe("ip-10-0-1-5.ec2.internal");
    expect(ok({ MY_NODE_NAME: "a", NODE_NAME: "b" }).nodeName).toBe("b");
    const bad = loadSettings({ MY_NODE_NAME: "Not_A_Node", NODE_NAME: "b" });
    expect(bad.ok ? [] : bad.error.problems.map((p) => p.name)).toEqual(["MY_NODE_NAME"]);
  });
  it("ENI_CONFIG_ANNOTATION_DEF must be an annotation key", () => {
    expect(ok({ ENI_CONFIG_ANNOTATION_DEF: "example.com/eni-cfg" }).eniConfigAnnotationDef).toBe(
      "example.com/eni-cfg",
    );
    expect(loadSettings({ ENI_CONFIG_ANNOTATION_DEF: "a/b/c" }).ok).toBe(false);
  });
  it("Kubernetes is on only in a pod or with KUBECONFIG (a ~/.kube/config alone does not count)", () => {
    expect(kubeConfigured({})).toBe(false);
    expect(kubeConfigured({ HOME: "/root" })).toBe(false);
    expect(kubeConfigured({ KUBECONFIG: "/x/kubeconfig" })).toBe(true);
    expect(kubeConfigured({ KUBERNETES_SERVICE_HOST: "10.100.0.1" })).toBe(true);
    expect(kubeConfigured({ KUBECONFIG: "" })).toBe(false);
  });
});
