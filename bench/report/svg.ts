/**
 * The one chart of docs/benchmarks.md: latency against post rate, bridge and
 * bare BullMQ, p50 (dashed) and p99 (solid), on a logarithmic latency axis.
 * Plain SVG text, no dependency.
 */
import type { BenchResults } from '../bench';

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: [rate: number, ms: number][];
}

const W = 720;
const H = 420;
const M = { left: 64, right: 220, top: 40, bottom: 52 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function latencySeries(r: BenchResults): Series[] {
  const rows = r.latency ?? [];
  const s = (label: string, color: string, dashed: boolean, pick: (row: (typeof rows)[number]) => number): Series => ({
    label,
    color,
    dashed,
    points: rows.map((row) => [row.rate, pick(row)] as [number, number]).filter(([, ms]) => Number.isFinite(ms)),
  });
  return [
    s('bridge: notification p99', '#c2410c', false, (x) => x.bridge.notification.p99),
    s('bridge: notification p50', '#c2410c', true, (x) => x.bridge.notification.p50),
    s('bridge: wait_for_events p99', '#7c3aed', false, (x) => x.bridge.waitForEvents.p99),
    s('bridge: in the log p99', '#0f766e', false, (x) => x.bridge.inLog.p99),
    s('bare BullMQ: add→process p99', '#1d4ed8', false, (x) => x.baseline.processed.p99),
    s('bare BullMQ: add→process p50', '#1d4ed8', true, (x) => x.baseline.processed.p50),
  ];
}

export function latencyChartSvg(r: BenchResults): string {
  const series = latencySeries(r);
  const rates = [...new Set((r.latency ?? []).map((l) => l.rate))].sort((a, b) => a - b);
  const values = series.flatMap((s) => s.points.map(([, ms]) => ms)).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values, 10))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (rate: number) =>
    rates.length <= 1
      ? M.left + plotW / 2
      : M.left + (Math.log(rate / rates[0]) / Math.log(rates[rates.length - 1] / rates[0])) * plotW;
  const y = (ms: number) => M.top + plotH - (Math.log10(Math.max(ms, lo) / lo) / Math.log10(hi / lo)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">Latency against post rate (${esc(r.machine.cpus + ' CPU, ' + r.machine.cpuModel)})</text>`,
  );
  for (let d = lo; d <= hi; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi) break;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${yy}" y2="${yy}" stroke="#e5e7eb"/>`);
      out.push(
        `<text x="${M.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v >= 1 ? v : v.toFixed(1)}</text>`,
      );
    }
  }
  for (const rate of rates) {
    const xx = x(rate).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${M.top + plotH}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${xx}" y="${M.top + plotH + 18}" text-anchor="middle">${rate.toLocaleString('en-US')}</text>`);
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle">posts per second</text>`,
    `<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency, ms (log scale)</text>`,
  );
  series.forEach((s, i) => {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (s.points.length) {
      const d = s.points.map(([r0, ms], k) => `${k ? 'L' : 'M'}${x(r0).toFixed(1)} ${y(ms).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const [r0, ms] of s.points) {
        out.push(`<circle cx="${x(r0).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="3" fill="${s.color}"/>`);
      }
    }
    const ly = M.top + 10 + i * 22;
    const lx = M.left + plotW + 16;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 32}" y="${ly}" dominant-baseline="middle">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
