// What a soak run reports, and how it is printed (the format docs/reliability.md quotes).

export interface SoakWindow {
  readonly second: number;
  readonly requests: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
}

export interface MemorySample {
  readonly second: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
}

export interface SoakReport {
  readonly requests: number;
  /** Transport errors and non-200 answers. */
  readonly failed: number;
  readonly failures: readonly string[];
  /** Answers let through unchecked (deadline passed): not failures, but worth a look. */
  readonly unchecked: number;
  /** What the classified answers showed (`node-arch pinned`, `hpa could not check`...), counted. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** kube_hygiene_registry_lookups_total by result at the end. */
  readonly registryLookups: Readonly<Record<string, number>>;
  readonly windows: readonly SoakWindow[];
  readonly memory: readonly MemorySample[];
  readonly events: readonly string[];
  /** Heap growth over the second half, MiB per minute (least squares): near 0 when bounded. */
  readonly heapSlopeMiBPerMinute: number;
  /** The same for the resident set: a leak outside the JS heap (buffers, TLS) shows here. */
  readonly rssSlopeMiBPerMinute: number;
}

export const percentile = (sorted: readonly number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : 0;

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

const counts = (record: Readonly<Record<string, number>>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');

export function formatReport(r: SoakReport): string {
  const lines = [
    `requests ${r.requests}, failed ${r.failed} (goal 0), let through unchecked ${r.unchecked}`,
    `answers: ${counts(r.outcomes)}`,
    `registry lookups: ${counts(r.registryLookups)}`,
    ...r.events.map((e) => `event  ${e}`),
    'window   requests  failed   p50 ms   p99 ms',
    ...r.windows.map(
      (w) =>
        `${String(w.second).padStart(5)} s ${String(w.requests).padStart(9)} ${String(w.failed).padStart(7)} ` +
        `${w.p50.toFixed(2).padStart(8)} ${w.p99.toFixed(2).padStart(8)}`,
    ),
    `memory: RSS ${r.memory[0]?.rssMiB.toFixed(1)} → ${r.memory.at(-1)?.rssMiB.toFixed(1)} MiB, ` +
      `heap ${r.memory[0]?.heapMiB.toFixed(1)} → ${r.memory.at(-1)?.heapMiB.toFixed(1)} MiB, ` +
      `trend over the second half: heap ${r.heapSlopeMiBPerMinute.toFixed(2)} MiB/min, ` +
      `RSS ${r.rssSlopeMiBPerMinute.toFixed(2)} MiB/min`,
    ...r.failures.map((f) => `failure ${f}`),
  ];
  return lines.join('\n');
}
