// The plugin's syntax checks as plain loops over char codes, each the exact
// equivalent of the regular expression named in its comment
// (test/unit/cni/chars.test.ts compares them on generated strings).
//
// Why not the regular expressions: the plugin lives ~8 ms, once per pod, and
// runs every check once. In the Bun-compiled binary a regular expression is
// compiled on its first use, ~20-40 us each, and Array.prototype.filter/some
// are JavaScript builtins compiled on first call (~70 us for filter); the ADD
// path used six expressions and both builtins.

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isAlnum = (c: number) => isDigit(c) || isLower(c) || isUpper(c);

/** /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/: libcni's rule for container ids and network names. */
export function isCniName(s: string): boolean {
  if (s.length === 0 || !isAlnum(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 95 /* _ */ && c !== 46 /* . */ && c !== 45 /* - */) return false;
  }
  return true;
}

/** /\s/u on one UTF-16 unit: ECMAScript's WhiteSpace and LineTerminator (all BMP). */
function isJsSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** /[/:\s]/u.test(s) */
export function hasSlashColonOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 47 /* / */ || c === 58 /* : */ || isJsSpace(c)) return true;
  }
  return false;
}

/** Splits s at dots into exactly `parts` runs of 1..maxDigits ASCII digits; undefined otherwise. */
function dottedNumbers(s: string, parts: number, maxDigits: number): number[] | undefined {
  const out: number[] = [];
  let n = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46 /* . or the end */) {
      if (digits === 0) return undefined;
      out.push(n);
      n = 0;
      digits = 0;
    } else if (isDigit(c) && digits < maxDigits) {
      n = n * 10 + (c - 48);
      digits++;
    } else {
      return undefined;
    }
  }
  return out.length === parts ? out : undefined;
}

/** /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/: the shape of an IPv4 address (values not range-checked). */
export function isDottedQuad(s: string): boolean {
  return dottedNumbers(s, 4, 3) !== undefined;
}

/** /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/ as [major, minor, patch]; undefined when it does not match. */
export function parseSemver(s: string): [number, number, number] | undefined {
  const v = dottedNumbers(s, 3, 4);
  return v === undefined ? undefined : [v[0]!, v[1]!, v[2]!];
}
