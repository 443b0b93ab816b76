// IMDSv2 per instance: tokens, identity, and the network/interfaces tree as a
// live view of EC2 (an ENI appears once attached, prefixes once delegated).

import {
  AssignPrivateIpAddressesCommand,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  DetachNetworkInterfaceCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, smallWorld, startHarness } from "./harness.ts";

describe("IMDS", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ timeScale: 0.05 });
  });
  afterAll(() => h.close());

  async function token(base: string): Promise<string> {
    const r = await fetch(new URL("latest/api/token", base), {
      method: "PUT",
      headers: { "x-aws-ec2-metadata-token-ttl-seconds": "60" },
    });
    expect(r.status).toBe(200);
    return r.text();
  }
  async function get(base: string, tok: string, path: string): Promise<{ status: number; text: string }> {
    const r = await fetch(new URL(`latest/meta-data/${path}`, base), {
      headers: { "x-aws-ec2-metadata-token": tok },
    });
    return { status: r.status, text: await r.text() };
  }

  it("requires an IMDSv2 token (401 without, 400 without TTL, tokens are per instance)", async () => {
    const w = smallWorld(h.emu, [{ type: "m5.large" }, { type: "m5.large" }]);
    const [a, b] = w.instanceIds.map((id) => h.emu.imdsEndpointFor(id));
    expect((await fetch(new URL("latest/meta-data/instance-id", a!))).status).toBe(401);
    expect((await fetch(new URL("latest/api/token", a!), { method: "PUT" })).status).toBe(400);
    const tokA = await token(a!);
    expect(await get(a!, tokA, "instance-id")).toEqual({ status: 200, text: w.instanceIds[0] });
    expect((await get(b!, tokA, "instance-id")).status).toBe(401);
    expect((await get(a!, "forged", "instance-id")).status).toBe(401);
  });

  it("serves identity and placement", async () => {
    const w = smallWorld(h.emu, [{ type: "t3.medium", subnet: 1 }]);
    const base = w.imds[w.instanceIds[0]!]!;
    expect(base).toBe(h.emu.imdsEndpointFor(w.instanceIds[0]!));
    const tok = await token(base);
    expect((await get(base, tok, "instance-type")).text).toBe("t3.medium");
    expect((await get(base, tok, "placement/availability-zone")).text).toBe("us-east-1b");
    expect((await get(base, tok, "placement/region")).text).toBe("us-east-1");
    expect((await get(base, tok, "no/such/key")).status).toBe(404);
    const doc = await fetch(new URL("latest/dynamic/instance-identity/document", base), {
      headers: { "x-aws-ec2-metadata-token": tok },
    });
    expect(JSON.parse(await doc.text())).toMatchObject({ instanceId: w.instanceIds[0], region: "us-east-1" });
  });

  it("shows an ENI only once attached, with its addresses and prefixes", async () => {
    const w = smallWorld(h.emu);
    const inst = w.instanceIds[0]!;
    const base = h.emu.imdsEndpointFor(inst);
    const tok = await token(base);
    const primaryMac = (await get(base, tok, "mac")).text;
    expect((await get(base, tok, "network/interfaces/macs/")).text).toBe(`${primaryMac}/`);
    const p = `network/interfaces/macs/${primaryMac}/`;
    expect((await get(base, tok, `${p}device-number`)).text).toBe("0");
    expect((await get(base, tok, `${p}subnet-ipv4-cidr-block`)).text).toBe("10.0.0.0/24");
    expect((await get(base, tok, `${p}vpc-ipv4-cidr-blocks`)).text).toBe("10.0.0.0/16");
    expect((await get(base, tok, `${p}ipv4-prefix`)).status).toBe(404); // none delegated

    const eni = (
      await h.ec2.send(
        new CreateNetworkInterfaceCommand({ SubnetId: w.subnetIds[0]!, SecondaryPrivateIpAddressCount: 2 }),
      )
    ).NetworkInterface!;
    const att = await h.ec2.send(
      new AttachNetworkInterfaceCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId!,
        InstanceId: inst,
        DeviceIndex: 1,
      }),
    );
    expect((await get(base, tok, "network/interfaces/macs/")).text).toBe(`${primaryMac}/`); // still attaching
    await h.emu.admin.settle();
    const macs = (await get(base, tok, "network/interfaces/macs/")).text.split("\n");
    expect(macs.sort()).toEqual([`${primaryMac}/`, `${eni.MacAddress}/`].sort());
    const q = `network/interfaces/macs/${eni.MacAddress}/`;
    expect((await get(base, tok, `${q}interface-id`)).text).toBe(eni.NetworkInterfaceId);
    expect((await get(base, tok, `${q}device-number`)).text).toBe("1");
    expect((await get(base, tok, `${q}network-card`)).text).toBe("0");
    expect((await get(base, tok, `${q}subnet-id`)).text).toBe(w.subnetIds[0]);
    expect((await get(base, tok, `${q}security-group-ids`)).text).toBe(eni.Groups![0]!.GroupId);
    expect((await get(base, tok, `${q}local-ipv4s`)).text.split("\n")).toEqual(
      eni.PrivateIpAddresses!.map((a) => a.PrivateIpAddress), // primary first
    );
    await h.ec2.send(
      new AssignPrivateIpAddressesCommand({
        NetworkInterfaceId: eni.NetworkInterfaceId!,
        Ipv4PrefixCount: 2,
      }),
    );
    expect((await get(base, tok, `${q}ipv4-prefix`)).text.split("\n")).toHaveLength(2);
    const listing = (await get(base, tok, q)).text.split("\n");
    expect(listing).toEqual(
      expect.arrayContaining(["device-number", "interface-id", "local-ipv4s", "ipv4-prefix", "mac"]),
    );

    await h.ec2.send(new DetachNetworkInterfaceCommand({ AttachmentId: att.AttachmentId! }));
    await h.emu.admin.settle();
    expect((await get(base, tok, "network/interfaces/macs/")).text).toBe(`${primaryMac}/`);
  });
});
