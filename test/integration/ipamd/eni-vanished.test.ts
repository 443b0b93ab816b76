// An ENI detached through EC2 behind ipamd's back (soak bug A): when the
// periodic reconcile drops it, ipamd must also remove its host setup (the
// `from <ENI primary IP> lookup <table>` rule and the table's routes).
// Otherwise the rule outlives the ENI, and once the leak cleaner deletes the
// ENI and EC2 hands its primary address to a pod, that pod's traffic is
// routed through the dead ENI's table. The same for a pod's rules when its
// ENI vanished while ipamd was down, and for a pod's from-rule left behind
// for an address no pod holds after a restart.
import { DetachNetworkInterfaceCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cluster, EniView, Pod } from "../../harness/index.ts";
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

  it("removes the rules of a pod whose ENI vanished while ipamd was down, at start", async () => {
    // Recovery drops the pod's assignment (the instance no longer owns the
    // address), so the pod's DEL later finds nothing to remove: the rules must
    // go at start (the short soak found a to-rule left behind).
    const onSecondary = async (ip: string) => (await enis()).find((e) => !e.primary && e.ips.includes(ip));
    await until("a secondary ENI", async () => (await enis()).find((e) => !e.primary));
    const pods: Pod[] = [];
    let pod: Pod | undefined;
    for (let i = 0; i < 12 && pod === undefined; i++) {
      const p = await c.addPod("a", { namespace: "default", name: `vanished-${i}` });
      pods.push(p);
      if (await onSecondary(p.ip)) pod = p;
    }
    expect(pod, "a pod on a secondary ENI").toBeDefined();
    const eni = (await onSecondary(pod!.ip))!;
    expect(await rules()).toContain(`to ${pod!.ip} lookup main`);
    // SNAT on the node (the default): the ENI's table only towards the VPC (10.0.0.0/16).
    expect(await rules()).toContain(`from ${pod!.ip} to 10.0.0.0/16 lookup ${eni.deviceIndex + 1}`);

    await c.killIpamd("a", "SIGKILL");
    const attachmentId = c.emulator.admin.state().enis.find((e) => e.id === eni.id)?.attachment?.attachmentId;
    await c.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: attachmentId, Force: true }));
    await until("EC2 says detached", async () =>
      c.emulator.admin.state().enis.find((e) => e.id === eni.id)?.attachment ? undefined : true,
    );
    await c.startIpamd("a");
    const after = await rules();
    expect(after).not.toContain(`to ${pod!.ip} `);
    expect(after).not.toContain(`from ${pod!.ip} `);
    for (const p of pods) await c.delPod(p);
  });

  it("removes a from-rule for an unheld address of an ENI it still manages, at start", async () => {
    // A pod whose ADD died with ipamd (or whose DEL came while it was down)
    // leaves `from <IP> lookup <table>` for an address the ENI still holds.
    // Kept, it outranks the rule of the next pod given the address once that
    // address sits on another ENI (the short soak found one).
    const eni = await until("a secondary ENI with an address", async () =>
      (await enis()).find((e) => !e.primary && e.ips.length > 0),
    );
    const ip = eni.ips[0]!;
    const leftover = `from ${ip} lookup ${eni.deviceIndex + 1}`;
    await c.killIpamd("a", "SIGKILL");
    const added = await c.exec("a", ["ip", "-4", "rule", "add", ...leftover.split(" "), "pref", "1536"]);
    expect(added.code, added.stderr).toBe(0);
    expect(await rules()).toContain(leftover);
    await c.startIpamd("a"); // ready = recovery done
    expect((await enis()).find((e) => e.id === eni.id)?.ips).toContain(ip);
    expect(await rules()).not.toContain(`from ${ip} `);
  });
});
