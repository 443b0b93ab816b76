// The IMDS client against a small loopback stand-in that enforces IMDSv2's
// token rules (a collaborator fake; the emulator's real IMDS is exercised by
// test/integration/cloud/imds.test.ts).

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImdsClient } from "../../../cloud/imds/client.ts";
import { isImdsError } from "../../../cloud/imds/errors.ts";
import { imdsBaseUrl, listing, regionFromAz } from "../../../cloud/imds/parse.ts";

const MAC0 = "0e:00:00:00:00:01";
const MAC1 = "0e:00:00:00:00:02";
/** Listed only by the test of an attachment in progress. */
const MAC2 = "0e:00:00:00:00:03";
const tree: Record<string, string> = {
  "instance-id": "i-0abc",
  "instance-type": "m5.large",
  "placement/availability-zone": "us-west-2b",
  mac: MAC0,
  "network/interfaces/macs/": `${MAC1}/\n${MAC0}/`,
  [`network/interfaces/macs/${MAC0}/device-number`]: "0",
  [`network/interfaces/macs/${MAC0}/interface-id`]: "eni-0",
  [`network/interfaces/macs/${MAC0}/subnet-id`]: "subnet-1",
  [`network/interfaces/macs/${MAC0}/subnet-ipv4-cidr-block`]: "10.0.0.0/24",
  [`network/interfaces/macs/${MAC0}/local-ipv4s`]: "10.0.0.10\n10.0.0.11\n10.0.0.12",
  [`network/interfaces/macs/${MAC0}/security-group-ids`]: "sg-1\nsg-2",
  [`network/interfaces/macs/${MAC0}/vpc-ipv4-cidr-blocks`]: "10.0.0.0/16\n100.64.0.0/16",
  [`network/interfaces/macs/${MAC1}/device-number`]: "1",
  [`network/interfaces/macs/${MAC1}/network-card`]: "0",
  [`network/interfaces/macs/${MAC1}/interface-id`]: "eni-1",
  [`network/interfaces/macs/${MAC1}/subnet-id`]: "subnet-1",
  [`network/interfaces/macs/${MAC1}/subnet-ipv4-cidr-block`]: "10.0.0.0/24",
  [`network/interfaces/macs/${MAC1}/local-ipv4s`]: "10.0.0.20",
  [`network/interfaces/macs/${MAC1}/ipv4-prefix`]: "10.0.0.32/28\n10.0.0.48/28",
  [`network/interfaces/macs/${MAC1}/security-group-ids`]: "sg-1",
  [`network/interfaces/macs/${MAC1}/vpc-ipv4-cidr-block`]: "10.0.0.0/16",
};

const PREFIX = "/imds/i-0abc/";
let server: Server;
let base: string;
const valid = new Set<string>();
let puts = 0;
/** Metadata GETs answered (token PUTs not counted). */
let gets = 0;
const ttls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "";
    if (!url.startsWith(PREFIX)) return void res.writeHead(404).end();
    const rest = url.slice(PREFIX.length);
    if (rest === "latest/api/token" && req.method === "PUT") {
      puts++;
      ttls.push(String(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]));
      const tok = `t${puts}`;
      valid.add(tok);
      return void res.writeHead(200).end(tok);
    }
    if (!valid.has(String(req.headers["x-aws-ec2-metadata-token"]))) return void res.writeHead(401).end();
    gets++;
    const body = tree[rest.replace(/^latest\/meta-data\//, "")];
    if (body === undefined) return void res.writeHead(404).end("Not Found");
    res.writeHead(200).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${PREFIX}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("parse helpers", () => {
  it.each([
    [undefined, {}, "http://169.254.169.254/"],
    [
      undefined,
      { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:4566/imds/i-1" },
      "http://127.0.0.1:4566/imds/i-1/",
    ],
    ["http://h:1/p/", { AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://other/" }, "http://h:1/p/"],
    ["http://[fd00:ec2::254]", {}, "http://[fd00:ec2::254]/"],
  ] as const)("base url %s %j -> %s", (opt, env, expected) => {
    expect(imdsBaseUrl(opt, env)).toBe(expected);
  });
  it.each([
    ["us-east-1a", "us-east-1"],
    ["eu-central-1c", "eu-central-1"],
    ["us-gov-west-1a", "us-gov-west-1"],
    ["us-east-1-bos-1a", "us-east-1"],
  ])("region of %s is %s", (az, region) => expect(regionFromAz(az)).toBe(region));
  it("listing drops trailing slashes and blanks", () => {
    expect(listing("a/\nb/\n\n")).toEqual(["a", "b"]);
  });
});

describe("createImdsClient", () => {
  it("reads identity under a path prefix; region derived from the AZ when missing", async () => {
    const c = createImdsClient({ endpoint: base });
    expect(await c.identity()).toEqual({
      instanceId: "i-0abc",
      instanceType: "m5.large",
      availabilityZone: "us-west-2b",
      region: "us-west-2",
      primaryMac: MAC0,
    });
  });

  it("reads every ENI, sorted by device number; no ipv4-prefix means []", async () => {
    const enis = await createImdsClient({ endpoint: base }).enis();
    expect(enis.map((e) => e.deviceNumber)).toEqual([0, 1]);
    expect(enis[0]).toEqual({
      mac: MAC0,
      deviceNumber: 0,
      networkCard: 0,
      interfaceId: "eni-0",
      subnetId: "subnet-1",
      subnetCidr: "10.0.0.0/24",
      localIpv4s: ["10.0.0.10", "10.0.0.11", "10.0.0.12"],
      ipv4Prefixes: [],
      securityGroupIds: ["sg-1", "sg-2"],
      vpcCidrs: ["10.0.0.0/16", "100.64.0.0/16"],
    });
    expect(enis[1]?.ipv4Prefixes).toEqual(["10.0.0.32/28", "10.0.0.48/28"]);
    expect(enis[1]?.vpcCidrs).toEqual(["10.0.0.0/16"]); // singular fallback
  });

  it("eni(mac): one GET while the MAC is not listed; the listed ENI's details, any letter case", async () => {
    const c = createImdsClient({ endpoint: base });
    await c.get("mac"); // the token, out of the count
    let before = gets;
    expect(await c.eni("0e:00:00:00:00:99")).toBeUndefined();
    expect(gets - before).toBe(1);
    before = gets;
    const one = await c.eni(MAC1.toUpperCase());
    expect(gets - before).toBe(11); // the listing + this ENI's 10 fields
    expect(one?.interfaceId).toBe("eni-1");
    before = gets;
    expect(one).toEqual((await c.enis()).find((e) => e.mac === MAC1));
    expect(gets - before).toBe(21); // enis() reads every ENI's
  });

  it("eni(mac): listed before its entries are (a new attachment) is undefined, not an error", async () => {
    const c = createImdsClient({ endpoint: base });
    const listingPath = "network/interfaces/macs/";
    const saved = tree[listingPath]!;
    tree[listingPath] = `${saved}\n${MAC2}/`;
    try {
      expect(await c.eni(MAC2)).toBeUndefined();
      tree[`network/interfaces/macs/${MAC2}/device-number`] = "2";
      tree[`network/interfaces/macs/${MAC2}/interface-id`] = "eni-2";
      expect(await c.eni(MAC2)).toBeUndefined(); // subnet-id and its CIDR not there yet
      tree[`network/interfaces/macs/${MAC2}/subnet-id`] = "subnet-1";
      tree[`network/interfaces/macs/${MAC2}/subnet-ipv4-cidr-block`] = "10.0.0.0/24";
      expect((await c.eni(MAC2))?.interfaceId).toBe("eni-2");
    } finally {
      tree[listingPath] = saved;
    }
  });

  it("one token for many reads; renewed before expiry; asks for the configured TTL", async () => {
    let t = 0;
    const c = createImdsClient({ endpoint: base, tokenTtlSeconds: 100, now: () => t });
    const before = puts;
    await Promise.all([c.get("instance-id"), c.get("mac"), c.get("instance-type")]);
    expect(puts - before).toBe(1);
    expect(ttls.at(-1)).toBe("100");
    t = 89_000; // 100 s TTL, renewal margin 10 s: still valid
    await c.get("mac");
    expect(puts - before).toBe(1);
    t = 91_000;
    await c.get("mac");
    expect(puts - before).toBe(2);
  });

  it("a 401 (IMDS forgot the token) gets one fresh token", async () => {
    const c = createImdsClient({ endpoint: base });
    await c.get("mac");
    valid.clear();
    const before = puts;
    expect(await c.get("mac")).toBe(MAC0);
    expect(puts - before).toBe(1);
  });

  it("a missing path is kind not-found", async () => {
    const err = await createImdsClient({ endpoint: base })
      .get("nope")
      .catch((e: unknown) => e);
    expect(isImdsError(err, "not-found")).toBe(true);
  });

  it("nobody listening is kind unreachable", async () => {
    const c = createImdsClient({ endpoint: "http://127.0.0.1:1/", maxAttempts: 1, timeoutMs: 500 });
    const err = await c.identity().catch((e: unknown) => e);
    expect(isImdsError(err, "unreachable")).toBe(true);
  });
});
