// Pure helpers: the endpoint URL and IMDS's text answers.

/** Default IMDS address (IPv4). */
export const DEFAULT_IMDS_ENDPOINT = "http://169.254.169.254/";

/**
 * The base URL every path is appended to. Precedence: the option, then
 * AWS_EC2_METADATA_SERVICE_ENDPOINT (the SDKs' variable), then the link-local
 * default. A path prefix is kept (the emulator serves one IMDS per instance
 * at e.g. http://127.0.0.1:4566/imds/i-123/), so the base always ends in "/".
 */
export function imdsBaseUrl(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const raw = option || env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] || DEFAULT_IMDS_ENDPOINT;
  const url = new URL(raw);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** Newline-separated lists (local-ipv4s, security-group-ids, ...), blanks dropped. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** Directory listings end entries with "/" (macs/ lists "0e:..:01/"). */
export function listing(text: string): string[] {
  return lines(text).map((l) => (l.endsWith("/") ? l.slice(0, -1) : l));
}

/** Region from an availability zone when placement/region is missing: "us-east-1a" -> "us-east-1". */
export function regionFromAz(az: string): string {
  // Local Zones / Wavelength ("us-east-1-bos-1a") keep their parent region prefix.
  const m = /^([a-z]{2}(?:-gov)?-[a-z]+-\d+)/.exec(az);
  return m?.[1] ?? az.replace(/[a-z]$/, "");
}
