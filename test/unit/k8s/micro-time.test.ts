// events.k8s.io's MicroTime: the API server decodes it with exactly six
// fractional digits (ipamd/k8s/events.ts microTime; the stand-in API server
// refuses anything else, as the real one does).
import { describe, expect, it } from "vitest";
import { microTime } from "../../../ipamd/k8s/events.ts";

describe("microTime", () => {
  const cases: [string, number, string][] = [
    [
      "milliseconds padded to microseconds",
      Date.UTC(2026, 10, 23, 9, 45, 1, 123),
      "2026-11-23T09:45:01.123000Z",
    ],
    ["a whole second", Date.UTC(2026, 0, 2, 3, 4, 5, 0), "2026-01-02T03:04:05.000000Z"],
  ];
  for (const [name, ms, want] of cases) it(name, () => expect(microTime(ms)).toBe(want));
  it("matches apimachinery's RFC3339Micro layout", () =>
    expect(microTime(Date.now())).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/));
});
