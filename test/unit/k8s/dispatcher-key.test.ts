// ipamd/k8s/rest.ts keeps one connection pool while dispatcherKey is the
// same: the key must change when the TLS material the library builds its
// Agent from changes (kubelet rotates certificate files in place), and only then.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node/dist/config.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dispatcherKey } from "../../../ipamd/k8s/rest.ts";

describe("dispatcherKey", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dispatcher-key-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function kubeconfig(opts: { server?: string; caFile?: string; certFile?: string; keyFile?: string }) {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: opts.server ?? "https://10.0.0.1:443", caFile: opts.caFile }],
      users: [{ name: "u", certFile: opts.certFile, keyFile: opts.keyFile }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    return kc;
  }

  it("is stable while nothing changes", async () => {
    writeFileSync(join(dir, "ca.crt"), "ca");
    const kc = kubeconfig({ caFile: join(dir, "ca.crt") });
    expect(await dispatcherKey(kc)).toBe(await dispatcherKey(kc));
  });

  it.each(["caFile", "certFile", "keyFile"] as const)("changes when the %s is rewritten", async (which) => {
    const files = {
      caFile: join(dir, "ca.crt"),
      certFile: join(dir, "tls.crt"),
      keyFile: join(dir, "tls.key"),
    };
    for (const f of Object.values(files)) {
      writeFileSync(f, "v1");
      utimesSync(f, 1_000, 1_000);
    }
    const kc = kubeconfig(files);
    const before = await dispatcherKey(kc);
    writeFileSync(files[which], "v2");
    utimesSync(files[which], 2_000, 2_000);
    expect(await dispatcherKey(kc)).not.toBe(before);
  });

  it("differs between servers, and names a missing file instead of throwing", async () => {
    const a = await dispatcherKey(kubeconfig({ server: "https://a:443", caFile: join(dir, "gone.crt") }));
    const b = await dispatcherKey(kubeconfig({ server: "https://b:443", caFile: join(dir, "gone.crt") }));
    expect(a).not.toBe(b);
    expect(a).toContain("gone.crt@missing");
  });
});
