// The three memories that keep the client frugal: content by digest never changes (LRU, no
// expiry), a tag's digest may move (TTL), and answers in flight are shared (single-flight).

/** Least-recently-used map, bounded by entry count. Map keeps insertion order: oldest first. */
export class LruCache<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.#entries.size;
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
