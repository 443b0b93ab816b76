import { describe, expect, it } from "vitest";
import { signingKeyId } from "../../../cloud/emulator/http/server.ts";

describe("signingKeyId (SigV4 Authorization header)", () => {
  it.each([
    [
      "AWS4-HMAC-SHA256 Credential=AKIDWRONG/20261122/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=ab",
      "AKIDWRONG",
    ],
    ["AWS4-HMAC-SHA256 Credential=test/20261122/us-west-2/ec2/aws4_request", "test"],
    ["Bearer xyz", undefined],
    [undefined, undefined],
  ])("%s -> %s", (header, key) => {
    expect(signingKeyId(header)).toBe(key);
  });
});
