import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AWS_VARIABLES, SETTINGS_DOC } from "../../../ipamd/config/settings.ts";
import { withSettingsTable } from "../../../scripts/readme-settings.ts";

describe("README settings table", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

  it("is exactly what ipamd/config documents (run `node scripts/readme-settings.ts` to refresh)", () => {
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it("names every setting the daemon reads, and every AWS VPC CNI variable it does not implement", () => {
    for (const d of SETTINGS_DOC) expect(readme).toContain(`\`${d.name}\``);
    for (const v of AWS_VARIABLES) expect(readme).toContain(`| \`${v.name}\` |`);
  });
});
