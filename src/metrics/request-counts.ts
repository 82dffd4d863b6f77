// The counts taken on every admission request, kept as plain numbers and handed to prom-client
// when Prometheus scrapes (a Counter's collect(), public API). prom-client's inc() checks and
// hashes its label object on every call, which the server's CPU profile showed on each request;
// here a count is a Map lookup per label and an add. Every label value comes from a closed
// list, so the maps stay small. The duration histogram is prom-client's own Histogram: its
// bucket counts cannot be handed over at scrape time, and observe() costs about 1 µs.
import { Counter, type Registry } from 'prom-client';

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
