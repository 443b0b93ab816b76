import { describe, expect, it } from "vitest";
import { DUMMY_CREDENTIALS, parseRateFraction, resolveEc2Config } from "../../../cloud/ec2/options.ts";

describe("resolveEc2Config", () => {
  it("region: option, AWS_REGION, AWS_DEFAULT_REGION, us-east-1", () => {
    expect(resolveEc2Config({ region: "eu-west-1" }, { AWS_REGION: "x" }, false).region).toBe("eu-west-1");
    expect(resolveEc2Config({}, { AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "y" }, false).region).toBe(
      "ap-south-1",
    );
    expect(resolveEc2Config({}, { AWS_DEFAULT_REGION: "us-west-2" }, false).region).toBe("us-west-2");
    expect(resolveEc2Config({}, {}, false).region).toBe("us-east-1");
  });

  it("endpoint: option, AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, none", () => {
    const env = { AWS_ENDPOINT_URL_EC2: "http://a", AWS_ENDPOINT_URL: "http://b" };
    expect(resolveEc2Config({ endpoint: "http://o" }, env, false).endpoint).toBe("http://o");
    expect(resolveEc2Config({}, env, false).endpoint).toBe("http://a");
    expect(resolveEc2Config({}, { AWS_ENDPOINT_URL: "http://b" }, false).endpoint).toBe("http://b");
    expect(resolveEc2Config({}, {}, false).endpoint).toBeUndefined();
  });

  it.each([
    ["emulator, nothing configured: dummy", { endpoint: "http://127.0.0.1:1" }, {}, false, DUMMY_CREDENTIALS],
    ["real AWS: default chain", {}, {}, false, undefined],
    [
      "emulator but keys in env: default chain",
      { endpoint: "http://e" },
      { AWS_ACCESS_KEY_ID: "k" },
      false,
      undefined,
    ],
    [
      "emulator but a profile: default chain",
      { endpoint: "http://e" },
      { AWS_PROFILE: "p" },
      false,
      undefined,
    ],
    ["emulator but ~/.aws files: default chain", { endpoint: "http://e" }, {}, true, undefined],
    [
      "explicit credentials win",
      { credentials: { accessKeyId: "a", secretAccessKey: "s" } },
      {},
      false,
      { accessKeyId: "a", secretAccessKey: "s" },
    ],
  ] as const)("credentials: %s", (_l, opts, env, files, expected) => {
    expect(resolveEc2Config(opts, env, files).credentials).toEqual(expected);
  });
});

describe("parseRateFraction (VPC_CNI_EC2_RATE_FRACTION)", () => {
  it.each([
    ["0.2", 0.2],
    ["1", 1],
    [" 0.05 ", 0.05],
    [".5", 0.5],
    ["0", undefined],
    ["1.5", undefined],
    ["-0.1", undefined],
    ["1e-2", undefined],
    ["abc", undefined],
    ["", undefined],
    [undefined, undefined],
  ] as const)("%s -> %s", (raw, want) => expect(parseRateFraction(raw)).toBe(want));
});
