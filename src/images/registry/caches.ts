// The three memories that keep the client frugal: content by digest never changes (LRU, no
// expiry), a tag's digest may move (TTL), and answers in flight are shared (single-flight).

/**
 * Least-recently-used map, bounded by entry count and, when given a weigher, by total weight
 * (bytes: manifests may be up to 4 MiB each, so a count alone bounds nothing).
 * Map keeps insertion order: the first key is the least recently used.
 */
export class LruCache<V> {
  readonly #entries = new Map<string, { value: V; weight: number }>();
  #weight = 0;
  constructor(
    readonly maxEntries: number,
    readonly maxWeight = Infinity,
    private readonly weigh: (value: V) => number = () => 0,
  ) {}

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#remove(key);
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    while (this.#entries.size > this.maxEntries || this.#weight > this.maxWeight) {
      this.#remove(this.#entries.keys().next().value as string);
    }
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#weight -= entry.weight;
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  get weight(): number {
    return this.#weight;
  }
}

/** Entries that expire, each with its own lifetime; bounded like the LRU. */
export class TtlCache<V> {
  readonly #lru: LruCache<{ value: V; expires: number }>;
  constructor(
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#lru = new LruCache(maxEntries);
  }

  get(key: string): V | undefined {
    const entry = this.#lru.get(key);
    if (!entry || entry.expires <= this.now()) return undefined;
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs > 0) this.#lru.set(key, { value, expires: this.now() + ttlMs });
  }

  get size(): number {
    return this.#lru.size;
  }
}

/** Concurrent calls with one key share the first call's promise until it settles. */
export class SingleFlight<V> {
  readonly #inFlight = new Map<string, Promise<V>>();

  run(key: string, work: () => Promise<V>): Promise<V> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const started = work().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}
