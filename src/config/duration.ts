/** Parses `500ms`, `30s`, `5m`, `2h`, `7d` or a bare number of milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(value.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
