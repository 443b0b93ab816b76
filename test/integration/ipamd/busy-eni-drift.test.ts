// Addresses that appear on an ENI without ipamd asking (an assign that landed
// after ipamd was SIGKILLed mid-call, or someone assigning through EC2) must be
// adopted at the next resync even while pods keep coming and going on that
// ENI. ipamd used to trust its own view of any ENI it had changed in the last
// minute, so on a busy node such addresses stayed unknown for as long as the
// node stayed busy (and a minute more): EC2 counted them against the ENI's
// limit while ipamd planned as if the room were free (the CI soak failure of
// 2026-11-22: "ipamd knows [...], EC2 has [...]" 60 s after the last DEL).
import { AssignPrivateIpAddressesCommand } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, createCluster, type EniView, type Pod } from "../../harness/index.ts";
import { canUseNetns } from "../../support/privileges.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canUseNetns)("addresses ipamd did not add, on an ENI it keeps changing", () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await createCluster({
      nodes: [{ name: "a", instanceType: "m5.large" }],
      timeScale: 0.01,
      env: {
        // Every ADD takes the one warm address and every DEL gives one back,
        // so each pod makes the pool assign or release on the primary ENI.
        WARM_IP_TARGET: "1",
        VPC_CNI_IP_COOLDOWN_SECONDS: "0",
        VPC_CNI_SCALE_DOWN_INTERVAL_SECONDS: "0",
        VPC_CNI_RECONCILE_INTERVAL_SECONDS: "5",
      },
    });
  });
  afterAll(async () => {
    await c?.destroy();
  });

  it("adopts them at the next resync, not a minute after the churn stops", async () => {
    const enis = async () => (await c.introspect("a", "/v1/enis")) as EniView[];
    const primary = (await enis()).find((e) => e.primary);
    expect(primary).toBeDefined();
    const eniId = primary!.id;
    const ec2Ips = () => c.emulator.admin.state().enis.find((e) => e.id === eniId)?.secondaryIps ?? [];
    const changes = () => {
      const s = c.emulator.stats().byAction;
      return (s.AssignPrivateIpAddresses?.calls ?? 0) + (s.UnassignPrivateIpAddresses?.calls ?? 0);
    };

    let churning = true;
    let pods = 0;
    const churn = (async () => {
      let pod: Pod | undefined;
      for (let i = 0; churning; i++) {
        if (pod === undefined) {
          pod = await c.addPod("a", { namespace: "default", name: `churn-${i}` });
          pods++;
        } else {
          await c.delPod(pod);
          pod = undefined;
        }
        await sleep(150);
      }
      if (pod) await c.delPod(pod);
    })();
    try {
      await sleep(1_000);
      // Named addresses far above the pool's: EC2 would otherwise hand out the
      // lowest free ones, i.e. ones ipamd released moments ago, and ipamd
      // rightly keeps its own view of an address it changed within the last
      // minute (IMDS lag): that is a different case.
      const net = primary!.primaryIp.split(".").slice(0, 3).join(".");
      const outOfBand = [`${net}.240`, `${net}.241`];
      await c.ec2.send(
        new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eniId, PrivateIpAddresses: outOfBand }),
      );
      expect(ec2Ips()).toEqual(expect.arrayContaining(outOfBand));
      const changesAtInject = changes();

      // Two resync intervals: each address is either known to ipamd, or
      // already given back (ipamd adopted it, then released the surplus).
      const deadline = Date.now() + 12_000;
      let unknown = outOfBand;
      while (Date.now() < deadline) {
        const mine = new Set((await enis()).find((e) => e.id === eniId)?.ips ?? []);
        const inEc2 = new Set(ec2Ips());
        unknown = outOfBand.filter((ip) => inEc2.has(ip) && !mine.has(ip));
        if (unknown.length === 0) break;
        await sleep(250);
      }
      // The test means something only if the pool really kept changing the ENI meanwhile.
      expect(changes() - changesAtInject).toBeGreaterThan(2);
      expect(pods).toBeGreaterThan(3);
      expect(unknown).toEqual([]);
    } finally {
      churning = false;
      await churn;
    }
  }, 60_000);
});
