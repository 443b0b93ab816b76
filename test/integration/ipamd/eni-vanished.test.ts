// An ENI detached through EC2 behind ipamd's back (soak bug A): when the
// periodic reconcile drops it, ipamd must also remove its host setup (the
// `from <ENI primary IP> lookup <table>` rule and the table's routes).
// Otherwise the rule outlives the ENI, and once the leak cleaner deletes the
// ENI and EC2 hands its primary address to a pod, that pod's traffic is
// routed through the dead ENI's table.
import { DetachNetworkInterfaceCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster, EniView } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";
import { behindBackCluster, nodeRules, until } from "./behind-back.ts";

describe.skipIf(!canUseNetns)("ENI detached behind ipamd's back", () => {
  let c: Cluster;
  beforeAll(async () => {
    // A minimum of 12 needs a secondary ENI.
    c = await behindBackCluster(12);
  });
  afterAll(async () => {
    await c?.destroy();
  });

  const rules = () => nodeRules(c);
  const enis = async () => (await c.introspect("a", "/v1/enis")) as EniView[];

  it("removes the vanished ENI's rule once reconcile drops it", async () => {
    const eni = await until("a secondary ENI", async () => (await enis()).find((e) => !e.primary));
    const table = eni.deviceIndex + 1;
    await until("its host rule", async () =>
      (await rules()).includes(`from ${eni.primaryIp} lookup ${table}`) ? true : undefined,
    );
    // The ENI may have been created within the last minute, and a just-created
    // ENI is kept over IMDS that long; a restart empties that memory, so the
    // next reconcile believes EC2 at once.
    await c.restartIpamd("a");
    const attachmentId = c.emulator.admin.state().enis.find((e) => e.id === eni.id)?.attachment?.attachmentId;
    expect(attachmentId).toBeDefined();
    await c.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true }));
    await until("reconcile drops the ENI", async () =>
      (await enis()).some((e) => e.id === eni.id) ? undefined : true,
    );
    // Teardown runs right after the drop, in the same resync.
    await until(
      "the ENI's rule removed",
      async () => ((await rules()).includes(`from ${eni.primaryIp} `) ? undefined : true),
      5_000,
    );
  });

  it("removes the rule of an ENI that vanished while ipamd was down, at start", async () => {
    // The pool grows back a secondary ENI after the first test's detach.
    const eni = await until("a secondary ENI", async () => (await enis()).find((e) => !e.primary));
    await until("its host rule", async () =>
      (await rules()).includes(`from ${eni.primaryIp} lookup ${eni.deviceIndex + 1}`) ? true : undefined,
    );
    await c.killIpamd("a", "SIGKILL");
    const attachmentId = c.emulator.admin.state().enis.find((e) => e.id === eni.id)?.attachment?.attachmentId;
    await c.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true }));
    await until("EC2 says detached", async () =>
      c.emulator.admin.state().enis.find((e) => e.id === eni.id)?.attachment ? undefined : true,
    );
    await c.startIpamd("a"); // ready = recovery done
    expect(await rules()).not.toContain(`from ${eni.primaryIp} `);
  });
});
