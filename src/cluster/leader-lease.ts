// One writer among the replicas, on a coordination.k8s.io Lease, the way client-go's leader
// election does it: the holder renews the Lease; another replica takes it over only after it has
// seen the same record unchanged for a whole lease duration (its own clock, so clocks that
// disagree between nodes do not matter); every write carries the resourceVersion read, so two
// replicas can never both win one round. Being the writer is a promise kept for two thirds of
// the lease after the last renewal, so a writer that cannot renew stops writing before another
// may start. Writes to the Secret are conditional too: even two writers could not lose an update.
// https://pkg.go.dev/k8s.io/client-go/tools/leaderelection

export interface LeaseRecord {
  readonly resourceVersion?: string;
  readonly holder?: string;
  readonly durationSeconds?: number;
  readonly acquireTime?: Date;
  readonly renewTime?: Date;
  readonly transitions?: number;
}

/** The Lease's reads and writes; `create` and `replace` throw ConflictError when another write won. */
export interface LeaseApi {
  read(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<void>;
  replace(record: LeaseRecord): Promise<void>;
}

/** Another replica wrote first (HTTP 409): not an error, a lost round. */
export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} changed since it was read`);
    this.name = 'ConflictError';
  }
}

export interface LeaderLeaseOptions {
  readonly identity: string;
  readonly durationMs: number;
  readonly now?: () => number;
}

export class LeaderLease {
  readonly #api: LeaseApi;
  readonly #identity: string;
  readonly #durationMs: number;
  readonly #now: () => number;
  #observed: { record: string; at: number } | undefined;
  #renewedAt = -Infinity;

  constructor(api: LeaseApi, options: LeaderLeaseOptions) {
    this.#api = api;
    this.#identity = options.identity;
    this.#durationMs = options.durationMs;
    this.#now = options.now ?? Date.now;
  }

  get identity(): string {
    return this.#identity;
  }

  /** True while the last renewal is recent enough to write on. */
  leading(): boolean {
    return this.#now() - this.#renewedAt < (this.#durationMs * 2) / 3;
  }

  /** One round: take, keep or leave the Lease. Throws API errors other than a lost race. */
  async round(): Promise<boolean> {
    const now = this.#now();
    const current = await this.#api.read();
    const mine = {
      holder: this.#identity,
      durationSeconds: Math.ceil(this.#durationMs / 1000),
      renewTime: new Date(now),
    };
    try {
      if (!current) {
        await this.#api.create({ ...mine, acquireTime: new Date(now), transitions: 0 });
      } else {
        const record = `${current.resourceVersion} ${current.holder} ${current.renewTime?.getTime()}`;
        if (this.#observed?.record !== record) this.#observed = { record, at: now };
        const heldByOther = Boolean(current.holder) && current.holder !== this.#identity;
        const durationMs = (current.durationSeconds ?? mine.durationSeconds) * 1000;
        if (heldByOther && now < this.#observed.at + durationMs) return this.#lost();
        const takeover = current.holder !== this.#identity;
        await this.#api.replace({
          ...mine,
          resourceVersion: current.resourceVersion,
          acquireTime: takeover ? new Date(now) : (current.acquireTime ?? new Date(now)),
          transitions: (current.transitions ?? 0) + (takeover && current.holder ? 1 : 0),
        });
      }
    } catch (err) {
      if (err instanceof ConflictError) return this.#lost();
      this.#renewedAt = -Infinity;
      throw err;
    }
    this.#renewedAt = now;
    return true;
  }

  /** Gives the Lease up (on shutdown), so another replica takes over at once rather than after it expires. */
  async release(): Promise<void> {
    if (!this.leading()) return;
    this.#renewedAt = -Infinity;
    const current = await this.#api.read();
    if (current?.holder !== this.#identity) return;
    await this.#api.replace({ ...current, holder: '', durationSeconds: 1, renewTime: new Date(this.#now()) });
  }

  #lost(): false {
    this.#renewedAt = -Infinity;
    return false;
  }
}
