// An EC2 endpoint that accepts requests and never answers (a black-holed
// connection, a stuck proxy): each attempt must end at requestTimeoutMs as a
// transient TimeoutError and be retried, and the call must then fail, never
// hang. Real SDK over HTTP against a real (silent) HTTP server.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEc2Client } from "../../../cloud/ec2/client.ts";
import { isEc2Error } from "../../../cloud/ec2/types.ts";

let server: Server;
let endpoint = "";
const requests: IncomingMessage[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req) => {
    requests.push(req); // read, never answered
    req.resume();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no TCP address");
  endpoint = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

it("a request EC2 never answers times out per attempt, is retried, and the call fails as transient", async () => {
  const ec2 = createEc2Client({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    rateLimits: false,
    requestTimeoutMs: 300,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  try {
    const t0 = performance.now();
    const err = await ec2.describeSubnets(["subnet-0abc"]).then(
      () => new Error("expected the call to fail"),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    expect(isEc2Error(err) && { kind: err.kind, code: err.code }).toEqual({
      kind: "transient",
      code: "TimeoutError",
    });
    expect(requests.length).toBe(2); // both attempts reached the server
    expect(ms).toBeGreaterThanOrEqual(2 * 300 - 50);
    expect(ms).toBeLessThan(5_000);
  } finally {
    ec2.close();
  }
}, 10_000);
