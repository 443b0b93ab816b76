// Writes a benchmark's results as JSON and a small SVG bar chart into
// bench/results/, and returns the headline the benchmark prints last.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

export interface Bar {
  label: string;
  value: number;
  /** Optional second series shown beside it (e.g. the reference plugin). */
  compare?: number;
}

export interface BenchReport {
  name: string;
  unit: string;
  /** Free-form numbers for the JSON file. */
  data: unknown;
  bars: Bar[];
  headline: string;
}

export function machineInfo(): {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  kernel: string;
} {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? "unknown",
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[ch]!);
}

/** A horizontal bar chart; with `compare`, two bars per label (ours dark, reference light). */
export function svgBars(title: string, unit: string, bars: readonly Bar[]): string {
  const rowH = 28;
  const left = 220;
  const width = 760;
  const max = Math.max(1e-9, ...bars.flatMap((b) => [b.value, b.compare ?? 0]));
  const scale = (v: number) => ((width - left - 90) * v) / max;
  const rows = bars.map((b, i) => {
    const y = 40 + i * rowH;
    const ours = `<rect x="${left}" y="${y}" width="${scale(b.value).toFixed(1)}" height="${b.compare === undefined ? 18 : 9}" fill="#2b6cb0"/>`;
    const ref =
      b.compare === undefined
        ? ""
        : `<rect x="${left}" y="${y + 9}" width="${scale(b.compare).toFixed(1)}" height="9" fill="#a0aec0"/>`;
    const label = `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${escapeXml(b.label)}</text>`;
    const val = `<text x="${left + scale(Math.max(b.value, b.compare ?? 0)) + 6}" y="${y + 13}">${b.value.toFixed(2)}${b.compare === undefined ? "" : ` / ${b.compare.toFixed(2)}`} ${escapeXml(unit)}</text>`;
    return label + ours + ref + val;
  });
  const h = 60 + bars.length * rowH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif" font-size="12">
<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>
${rows.join("\n")}
</svg>
`;
}

/** Writes <name>.json and <name>.svg; returns the paths. */
export function writeReport(report: BenchReport, dir = RESULTS_DIR): { json: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${report.name}.json`);
  const svg = join(dir, `${report.name}.svg`);
  const body = { ...report, machine: machineInfo(), at: new Date().toISOString() };
  writeFileSync(json, `${JSON.stringify(body, null, 2)}\n`);
  writeFileSync(svg, svgBars(report.name, report.unit, report.bars));
  return { json, svg };
}
