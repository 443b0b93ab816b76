// Regenerates the settings table in README.md from ipamd/config (SETTINGS_DOC),
// so the documentation cannot drift from what the parser reads.
// Usage: node scripts/readme-settings.ts [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { settingsMarkdownTable } from "../ipamd/config/settings.ts";

const START = "<!-- settings-table:start -->";
const END = "<!-- settings-table:end -->";

export function withSettingsTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} ... ${END} markers`);
  return `${readme.slice(0, a + START.length)}\n${settingsMarkdownTable()}\n${readme.slice(b)}`;
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  const readme = readFileSync(path, "utf8");
  const next = withSettingsTable(readme);
  if (process.argv.includes("--check")) {
    if (next !== readme) {
      console.error("README.md settings table is stale: run `node scripts/readme-settings.ts`");
      process.exit(1);
    }
  } else {
    writeFileSync(path, next);
  }
}
