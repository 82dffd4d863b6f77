// A request's time for registry lookups. Most requests never wait on a registry (no registry
// rule in the policy, or every answer already cached), so the AbortSignal and its timer are
// made only when a lookup must go to the network: creating a signal per request cost more CPU
// than a whole rule in the server's profiles.

/** What a lookup needs of its caller's deadline: a signal that fires when the time is spent. */
export interface Deadline {
  readonly signal: AbortSignal;
}

export class LookupBudget implements Deadline {
  readonly #endsAt: number;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#endsAt = Date.now() + ms;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = (this.#controller = new AbortController());
      const spent = () => controller.abort(new DOMException('registry budget spent', 'TimeoutError'));
      const left = this.#endsAt - Date.now();
      if (left <= 0) spent();
      // Unref'd: a budget nobody waits on any more must not keep a CLI run alive.
      else this.#timer = setTimeout(spent, left).unref();
    }
    return this.#controller.signal;
  }

  /** Stops the timer, once the request is answered. */
  release(): void {
    clearTimeout(this.#timer);
  }
}
