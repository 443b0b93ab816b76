// cni/chars.ts replaces regular expressions on the plugin's hot path: each
// helper must answer exactly as the expression it replaced, on hand-picked
// edge cases and on many generated strings over an alphabet of the
// characters that matter (digits, letters, separators, Unicode spaces).
import { describe, expect, it } from "vitest";
import { hasSlashColonOrSpace, isCniName, isDottedQuad, parseSemver } from "../../../cni/chars.ts";

const SEMVER = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/;
const semverByRegex = (s: string) => {
  const m = SEMVER.exec(s);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
};

const pairs: { name: string; mine: (s: string) => unknown; regex: (s: string) => unknown }[] = [
  { name: "isCniName", mine: isCniName, regex: (s) => /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s) },
  { name: "hasSlashColonOrSpace", mine: hasSlashColonOrSpace, regex: (s) => /[/:\s]/u.test(s) },
  {
    name: "isDottedQuad",
    mine: isDottedQuad,
    regex: (s) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s),
  },
  { name: "parseSemver", mine: parseSemver, regex: semverByRegex },
];

const edgeCases = [
  "",
  "a",
  "A",
  "0",
  "_a",
  "-a",
  ".a",
  "a_b.c-d",
  "abc/",
  "eth0",
  "eth:0",
  "eth 0",
  "eth\t0",
  "eth\u00a00",
  "eth\u20280",
  "eth\ufeff0",
  "eth\u30000",
  "eth\u00850", // NEL: not \s in JavaScript
  "eni",
  "enix",
  "eni12",
  "e1",
  "1e",
  "10.0.0.1",
  "10.0.0.1.",
  ".10.0.0.1",
  "10..0.1",
  "1000.0.0.1",
  "10.0.0",
  "1.1.0",
  "1.1.0.0",
  "0001.0002.0003",
  "12345.0.0",
  "1.1.a",
  "١.١.١", // Arabic-Indic digits: not \d
  "a".repeat(300),
];

const alphabet = ["a", "z", "A", "Z", "0", "9", ".", "-", "_", "/", ":", " ", "\t", "\0", "é"];
// Every code point \s matches in JavaScript, and neighbours of its ranges that it does not.
const spaces = "\t\n\v\f\r \u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff";
const notSpaces = "\u0008\u000e\u0085\u167f\u1fff\u200b\u2027\u202a\u2030\u205e\u2060\u2fff\u3001\ufefe";
function generated(count: number, seed: number): string[] {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    const len = rnd(12);
    for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
    out.push(s);
  }
  return out;
}
// Digit-and-dot strings, so the number shapes are hit often.
function dotted(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(generated(1, i + 7)[0]!.replace(/[^.]/g, () => String(i % 10)));
  return out;
}

for (const c of spaces + notSpaces) edgeCases.push(`eth${c}0`, c);

describe("cni/chars.ts: the same answers as the regular expressions they replace", () => {
  it.each(pairs)("$name on edge cases", ({ mine, regex }) => {
    for (const s of edgeCases) expect([s, mine(s)]).toEqual([s, regex(s)]);
  });
  it.each(pairs)("$name on 20,000 generated strings", ({ mine, regex }) => {
    for (const s of [...generated(20_000, 42), ...dotted(2_000)]) expect([s, mine(s)]).toEqual([s, regex(s)]);
  });
});
