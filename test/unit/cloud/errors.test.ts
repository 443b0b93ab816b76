import { describe, expect, it } from "vitest";
import { classifyCode, toEc2Error } from "../../../cloud/ec2/errors.ts";
import { Ec2Error } from "../../../cloud/ec2/types.ts";

describe("classifyCode: every documented AWS code to its kind", () => {
  it.each([
    ["AttachmentLimitExceeded", 400, "limit"],
    ["PrivateIpAddressLimitExceeded", 400, "limit"],
    ["InsufficientFreeAddressesInSubnet", 400, "subnet-full"],
    ["InsufficientCidrBlocks", 400, "subnet-full"],
    ["RequestLimitExceeded", 503, "throttled"],
    ["RequestLimitExceeded", 400, "throttled"],
    ["Throttling", 400, "throttled"],
    ["ThrottlingException", 400, "throttled"],
    ["InvalidNetworkInterfaceID.NotFound", 400, "not-found"],
    ["InvalidInstanceID.NotFound", 400, "not-found"],
    ["InvalidAttachmentID.NotFound", 400, "not-found"],
    ["InvalidSubnetID.NotFound", 400, "not-found"],
    ["InvalidInstanceType", 400, "invalid"],
    ["InternalError", 500, "transient"],
    ["InternalError", undefined, "transient"],
    ["Unavailable", 503, "transient"],
    ["ServiceUnavailable", 503, "transient"],
    ["SomethingNew", 502, "transient"],
    ["SomethingNew", 429, "throttled"],
    ["UnauthorizedOperation", 403, "unauthorized"],
    ["AuthFailure", 401, "unauthorized"],
    ["InvalidParameterValue", 400, "invalid"],
    ["InvalidParameterCombination", 400, "invalid"],
    ["MissingParameter", 400, "invalid"],
    ["InvalidNetworkInterfaceId.Malformed", 400, "invalid"],
    ["IncorrectState", 400, "invalid"],
    ["SomethingNew", 400, "invalid"],
    ["SomethingNew", 403, "unauthorized"],
  ] as const)("%s (HTTP %s) -> %s", (code, status, kind) => {
    expect(classifyCode(code, status)).toBe(kind);
  });
});

function sdkError(name: string, status: number, message = "m") {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: status } });
}

describe("toEc2Error: what the SDK and Node throw", () => {
  it("keeps code, action and status of a ServiceException", () => {
    const e = toEc2Error("AttachNetworkInterface", sdkError("AttachmentLimitExceeded", 400, "too many"));
    expect(e).toBeInstanceOf(Ec2Error);
    expect([e.kind, e.code, e.action, e.httpStatus]).toEqual([
      "limit",
      "AttachmentLimitExceeded",
      "AttachNetworkInterface",
      400,
    ]);
    expect(e.message).toContain("too many");
  });

  it.each([
    ["ECONNREFUSED", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })],
    ["ECONNRESET", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    [
      "cause chain",
      new Error("fetch failed", { cause: Object.assign(new Error("x"), { code: "ETIMEDOUT" }) }),
    ],
    ["TimeoutError", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
    ["AbortError", Object.assign(new Error("aborted"), { name: "AbortError" })],
    ["bare Error, no status", new Error("socket closed")],
  ])("%s -> transient", (_label, err) => {
    expect(toEc2Error("DescribeSubnets", err).kind).toBe("transient");
  });

  it("the SDK handler's request timeout (name TimeoutError, code ETIMEDOUT) is a TimeoutError, not a NetworkError", () => {
    const err = Object.assign(new Error("a request has exceeded the configured 300 ms requestTimeout"), {
      name: "TimeoutError",
      code: "ETIMEDOUT",
    });
    const e = toEc2Error("DescribeSubnets", err);
    expect({ kind: e.kind, code: e.code }).toEqual({ kind: "transient", code: "TimeoutError" });
  });

  it("a TypeError without HTTP status is a bug, not a network error: invalid (never retried)", () => {
    expect(toEc2Error("X", new TypeError("cannot read x of undefined")).kind).toBe("invalid");
  });

  it("passes an Ec2Error through unchanged", () => {
    const orig = new Ec2Error({ kind: "limit", code: "C", action: "A", message: "m" });
    expect(toEc2Error("B", orig)).toBe(orig);
  });

  it("non-Error throwables become transient network errors", () => {
    expect(toEc2Error("X", "boom").kind).toBe("transient");
  });
});
