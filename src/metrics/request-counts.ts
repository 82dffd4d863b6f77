// The counts taken on every admission request, kept as plain numbers and handed to prom-client
// when Prometheus scrapes. prom-client's inc() and observe() check and hash their label object
// on every call (and a histogram looks its bucket up by a number turned into a string), which
// the server's CPU profile showed on each request; here a count is a Map lookup per label and an add.
// Every label value comes from a closed list, so the maps stay small.
import { Counter, type Metric, type Registry } from 'prom-client';

interface Options<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: Registry[];
}

type Labels<L extends string> = Readonly<Record<L, string>>;

interface Count<L extends string> {
  readonly labels: Labels<L>;
  value: number;
}

// One level per label, keyed by the label's value: counting builds no key string (joining the
// values and hashing the result cost more than the count itself).
type Level<L extends string> = Map<string, Level<L> | Count<L>>;

/** A counter: `inc()` per request, published as a prom-client Counter at each scrape. */
export class RequestCounter<L extends string> {
  readonly #names: readonly L[];
  readonly #root: Level<L> = new Map();
  readonly #counts: Count<L>[] = [];

  constructor(options: Options<L>) {
    this.#names = options.labelNames;
    const counts = this.#counts;
    new Counter<L>({
      ...options,
      collect() {
        this.reset();
        for (const { labels, value } of counts) this.inc(labels, value);
      },
    });
  }

  inc(labels: Labels<L>): void {
    this.#series(labels).value++;
  }

  /** Publishes the series at 0 before its first inc(): rate() and increase() then see that one. */
  zero(labels: Labels<L>): void {
    this.#series(labels);
  }

  #series(labels: Labels<L>): Count<L> {
    const names = this.#names;
    let level = this.#root;
    for (let i = 0; i < names.length - 1; i++) {
      const value = labels[names[i]!];
      let next = level.get(value) as Level<L> | undefined;
      if (!next) level.set(value, (next = new Map()));
      level = next;
    }
    const last = labels[names[names.length - 1]!];
    let count = level.get(last) as Count<L> | undefined;
    if (!count) {
      count = { labels: { ...labels }, value: 0 };
      level.set(last, count);
      this.#counts.push(count);
    }
    return count;
  }
}

/**
 * A histogram of durations with one label: `observe()` per request. prom-client's Histogram
 * cannot be handed bucket counts, so this is a metric of its own in the registry, exposed in
 * the same text format (cumulative `_bucket` series with `le`, `_sum`, `_count`).
 */
export class RequestHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly [L];
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, { readonly counts: number[]; sum: number }>();

  constructor(options: Omit<Options<L>, 'labelNames'> & { label: L; buckets: readonly number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = [options.label];
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  observe(value: string, seconds: number): void {
    let series = this.#series.get(value);
    if (!series) {
      series = { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0 };
      this.#series.set(value, series);
    }
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]!) i++;
    series.counts[i]!++;
    series.sum += seconds;
  }

  /** What prom-client's registry reads at each scrape. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const [label] = this.labelNames;
    const values: MetricValue[] = [];
    for (const [value, { counts, sum }] of this.#series) {
      let cumulative = 0;
      counts.forEach((n, i) => {
        cumulative += n;
        const le = i < this.#bounds.length ? this.#bounds[i]! : '+Inf';
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le, [label]: value },
          value: cumulative,
        });
      });
      values.push({ metricName: `${this.name}_sum`, labels: { [label]: value }, value: sum });
      values.push({ metricName: `${this.name}_count`, labels: { [label]: value }, value: cumulative });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

interface MetricValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}
