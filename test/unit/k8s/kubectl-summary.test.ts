import { describe, expect, it } from "vitest";
import { render } from "../../../cli/kubectl-vpccni/render.ts";
import { summarize } from "../../../cli/kubectl-vpccni/summary.ts";
import { renderStatus } from "../../../ipamd/k8s/status-render.ts";
import { sampleInput } from "../../integration/k8s/inputs.ts";

const obj = (name: string, status?: ReturnType<typeof renderStatus>) => ({
  apiVersion: "vpccni.io/v1alpha1",
  kind: "NodeIPAM",
  metadata: { name },
  ...(status ? { status } : {}),
});

describe("kubectl-vpccni summary", () => {
  it("sums subnet use across nodes, keeps the smallest free count, lists nodes without status", () => {
    const s = summarize([
      obj(
        "b",
        renderStatus(
          sampleInput(2, { subnets: [{ id: "subnet-1", nodeAddresses: 4, freeInSubnet: 90 }] }),
          [],
          0,
        ),
      ),
      obj(
        "a",
        renderStatus(
          sampleInput(1, { subnets: [{ id: "subnet-1", nodeAddresses: 6, freeInSubnet: 100 }] }),
          [],
          0,
        ),
      ),
      obj("c"),
    ]);
    expect(s.nodes.map((n) => n.node)).toEqual(["a", "b"]);
    expect(s.subnets).toEqual([{ subnet: "subnet-1", used: 10, free: 90, nodes: 2 }]);
    expect(s.pending).toEqual(["c"]);
  });

  it("marks exhausted nodes with the reason and message", () => {
    const st = renderStatus(
      sampleInput(18, { exhausted: { cause: "SubnetFull", message: "subnet-0a1 has 0 free" } }),
      [],
      0,
    );
    const out = render(summarize([obj("x", st)]));
    expect(out).toContain("EXHAUSTED (SubnetFull: subnet-0a1 has 0 free)");
    expect(out).toMatch(/x\s+m5\.large\s+2\/3\s+18\/18\s+0\s+29\s+0\s/);
  });
});
