import { describe, expect, it } from "vitest";
import { eniTags, rfc3339 } from "../../../ipamd/executor/tags.ts";

describe("ENI tags", () => {
  it("writes RFC 3339 at second precision, as Go's time.RFC3339 parses", () => {
    expect(rfc3339(Date.parse("2026-11-22T12:34:56.789Z"))).toBe("2026-11-22T12:34:56Z");
  });
  it("uses the AWS VPC CNI keys and leaves out empty names", () => {
    expect(eniTags({ clusterName: "", nodeName: "", instanceId: "i-1" }, 0)).toEqual({
      "node.k8s.amazonaws.com/instance_id": "i-1",
      "node.k8s.amazonaws.com/createdAt": "1970-01-01T00:00:00Z",
    });
    expect(eniTags({ clusterName: "c", nodeName: "n", instanceId: "i-1" }, 0)).toMatchObject({
      "cluster.k8s.amazonaws.com/name": "c",
      "vpccni.io/node-name": "n",
    });
  });
});
