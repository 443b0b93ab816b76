// The facade's plumbing (SDK wiring, error mapping, retries, metrics record,
// moto's assign answer) against a scripted loopback HTTP stand-in speaking
// EC2's query/XML protocol. Behaviour against a whole EC2 (limits, state) is
// the contract suite's job: test/integration/cloud.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BACKGROUND_QUIET_CAPS, createEc2Client } from "../../../cloud/ec2/client.ts";
import { type Ec2CallRecord, isEc2Error } from "../../../cloud/ec2/types.ts";

type Answer = { status: number; body: string };
const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
const errorXml = (code: string, status = 400): Answer => ({
  status,
  body: `<?xml version="1.0"?><Response><Errors><Error><Code>${code}</Code><Message>scripted</Message></Error></Errors><RequestID>r</RequestID></Response>`,
});
const ok = (action: string, inner: string): Answer => ({
  status: 200,
  body: `<?xml version="1.0"?><${action}Response ${NS}><requestId>r</requestId>${inner}</${action}Response>`,
});
const SUBNETS = ok(
  "DescribeSubnets",
  "<subnetSet><item><subnetId>subnet-1</subnetId><vpcId>vpc-1</vpcId><cidrBlock>10.0.0.0/24</cidrBlock><availabilityZone>us-east-1a</availabilityZone><availableIpAddressCount>250</availableIpAddressCount></item></subnetSet>",
);

let server: Server;
let endpoint: string;
let script: Answer[] = [];
let actions: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      actions.push(new URLSearchParams(body).get("Action") ?? "?");
      const a = script.shift() ?? errorXml("NoScript", 500);
      res.writeHead(a.status, { "content-type": "text/xml" }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  actions = [];
});

function client(records: Ec2CallRecord[], maxAttempts = 4) {
  return createEc2Client(
    {
      endpoint,
      rateLimits: false,
      retry: { maxAttempts, throttleMaxAttempts: maxAttempts },
      onCall: (r) => records.push(r),
    },
    { retryEnv: { sleep: async () => {}, random: () => 0.5 } },
  );
}

describe("background calls (DeleteOnTermination) yield to growth under throttling", () => {
  const MODIFY = ok("ModifyNetworkInterfaceAttribute", "<return>true</return>");
  const throttled = () => errorXml("RequestLimitExceeded", 503);

  it("after a throttle, a background call first waits for a quiet period; a growth call does not", async () => {
    const sleeps: number[] = [];
    const ec2 = createEc2Client(
      { endpoint, rateLimits: false, retry: { throttleBaseDelayMs: 100 } },
      { retryEnv: { sleep: async (ms) => void sleeps.push(ms), random: () => 0 } },
    );
    // A growth call throttled once: its own backoff only (full jitter, random 0).
    script = [throttled(), MODIFY];
    await ec2.setDeleteOnTermination({ eniId: "eni-1", attachmentId: "a-1", value: true });
    expect(sleeps).toEqual([0]);
    // Now a background call: waits BACKGROUND_QUIET_CAPS caps (x 60 x 100 ms) since that throttle before its attempt.
    sleeps.length = 0;
    script = [MODIFY];
    await ec2.setDeleteOnTermination({ eniId: "eni-1", attachmentId: "a-1", value: true, background: true });
    const quietMs = BACKGROUND_QUIET_CAPS * 60 * 100;
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(quietMs - 1_000);
    expect(sleeps[0]).toBeLessThanOrEqual(quietMs);
    ec2.close();
  });

  it("without a recent throttle it goes at once", async () => {
    const sleeps: number[] = [];
    const ec2 = createEc2Client(
      { endpoint, rateLimits: false },
      { retryEnv: { sleep: async (ms) => void sleeps.push(ms), random: () => 0 } },
    );
    script = [MODIFY];
    await ec2.setDeleteOnTermination({ eniId: "eni-1", attachmentId: "a-1", value: true, background: true });
    expect(sleeps).toEqual([]);
    expect(actions).toEqual(["ModifyNetworkInterfaceAttribute"]);
    ec2.close();
  });
});

describe("createEc2Client plumbing", () => {
  it("retries through throttling and reports one record", async () => {
    const records: Ec2CallRecord[] = [];
    script = [errorXml("RequestLimitExceeded", 503), errorXml("RequestLimitExceeded", 503), SUBNETS];
    const subnets = await client(records).describeSubnets(["subnet-1"]);
    expect(subnets).toEqual([
      {
        id: "subnet-1",
        vpcId: "vpc-1",
        cidr: "10.0.0.0/24",
        availabilityZone: "us-east-1a",
        availableIpAddressCount: 250,
        tags: {},
      },
    ]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: "DescribeSubnets", outcome: "ok", attempts: 3, throttled: 2 });
    expect(actions).toEqual(["DescribeSubnets", "DescribeSubnets", "DescribeSubnets"]);
  });

  it("raises kind throttled when retries run out", async () => {
    const records: Ec2CallRecord[] = [];
    script = Array.from({ length: 3 }, () => errorXml("RequestLimitExceeded", 503));
    const err = await client(records, 3)
      .describeSubnets(["subnet-1"])
      .catch((e: unknown) => e);
    expect(isEc2Error(err, "throttled")).toBe(true);
    expect(records[0]).toMatchObject({ outcome: "throttled", attempts: 3, throttled: 3 });
  });

  it("does not retry a limit error, and keeps its code", async () => {
    const records: Ec2CallRecord[] = [];
    script = [errorXml("AttachmentLimitExceeded")];
    const err = await client(records)
      .attachNetworkInterface({ eniId: "eni-1", instanceId: "i-1", deviceIndex: 3 })
      .catch((e: unknown) => e);
    expect(isEc2Error(err, "limit") && err.code).toBe("AttachmentLimitExceeded");
    expect(records[0]).toMatchObject({ outcome: "limit", attempts: 1, throttled: 0 });
  });

  it("retries a 500 InternalError as transient", async () => {
    const records: Ec2CallRecord[] = [];
    script = [errorXml("InternalError", 500), SUBNETS];
    await client(records).describeSubnets(["subnet-1"]);
    expect(records[0]).toMatchObject({ outcome: "ok", attempts: 2 });
  });

  it("returns only the new addresses when the endpoint answers with all of them (moto)", async () => {
    const eni = (ips: string[]) =>
      ok(
        "DescribeNetworkInterfaces",
        `<networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><privateIpAddress>${ips[0]}</privateIpAddress><privateIpAddressesSet>${ips
          .map(
            (ip, i) => `<item><privateIpAddress>${ip}</privateIpAddress><primary>${i === 0}</primary></item>`,
          )
          .join("")}</privateIpAddressesSet></item></networkInterfaceSet>`,
      );
    const assigned = (ips: string[]) =>
      ok(
        "AssignPrivateIpAddresses",
        `<networkInterfaceId>eni-1</networkInterfaceId><assignedPrivateIpAddressesSet>${ips
          .map((ip) => `<item><privateIpAddress>${ip}</privateIpAddress></item>`)
          .join("")}</assignedPrivateIpAddressesSet>`,
      );
    const c = client([]);
    script = [eni(["10.0.0.4", "10.0.0.9"]), assigned(["10.0.0.4", "10.0.0.9", "10.0.0.5", "10.0.0.6"])];
    expect(await c.assignPrivateIpAddresses({ eniId: "eni-1", ipCount: 2 })).toEqual({
      ips: ["10.0.0.5", "10.0.0.6"],
      prefixes: [],
    });
    // Known to over-answer: the next call snapshots again.
    script = [
      eni(["10.0.0.4", "10.0.0.9", "10.0.0.5", "10.0.0.6"]),
      assigned(["10.0.0.4", "10.0.0.9", "10.0.0.5", "10.0.0.6", "10.0.0.7"]),
    ];
    expect((await c.assignPrivateIpAddresses({ eniId: "eni-1", ipCount: 1 })).ips).toEqual(["10.0.0.7"]);
    expect(actions.filter((a) => a === "DescribeNetworkInterfaces")).toHaveLength(2);
  });

  it("an endpoint answering exactly (EC2) costs one snapshot, on the first call only", async () => {
    const c = client([]);
    script = [
      ok(
        "DescribeNetworkInterfaces",
        "<networkInterfaceSet><item><networkInterfaceId>eni-1</networkInterfaceId><privateIpAddress>10.0.0.4</privateIpAddress></item></networkInterfaceSet>",
      ),
      ok(
        "AssignPrivateIpAddresses",
        "<assignedPrivateIpAddressesSet><item><privateIpAddress>10.0.0.5</privateIpAddress></item></assignedPrivateIpAddressesSet>",
      ),
      ok(
        "AssignPrivateIpAddresses",
        "<assignedPrivateIpAddressesSet><item><privateIpAddress>10.0.0.6</privateIpAddress></item></assignedPrivateIpAddressesSet>",
      ),
    ];
    expect((await c.assignPrivateIpAddresses({ eniId: "eni-1", ipCount: 1 })).ips).toEqual(["10.0.0.5"]);
    expect((await c.assignPrivateIpAddresses({ eniId: "eni-1", ipCount: 1 })).ips).toEqual(["10.0.0.6"]);
    expect(actions).toEqual([
      "DescribeNetworkInterfaces",
      "AssignPrivateIpAddresses",
      "AssignPrivateIpAddresses",
    ]);
  });

  it("nobody listening: kind transient after retries", async () => {
    const records: Ec2CallRecord[] = [];
    const c = createEc2Client(
      {
        endpoint: "http://127.0.0.1:1",
        rateLimits: false,
        retry: { maxAttempts: 2 },
        onCall: (r) => records.push(r),
      },
      { retryEnv: { sleep: async () => {}, random: () => 0 } },
    );
    const err = await c.describeSubnets(["subnet-1"]).catch((e: unknown) => e);
    expect(isEc2Error(err, "transient")).toBe(true);
    expect(records[0]).toMatchObject({ outcome: "transient", attempts: 2 });
  });
});
