// How long one review may hold the event loop at a time, and until when it may work at all.
// Judging is synchronous JavaScript: a review of 20,000 containers, run start to finish, holds
// every other review on the server for as long as it takes. The engine therefore asks after each
// step (listing containers, each rule, deriving the patch) whether its slice is spent; if so it
// lets the event loop run (other reviews, timers, sockets) and goes on in a later turn, and once
// the review's deadline has passed it stops: the server has answered it by its failure policy.

/** Thrown into a run that reached its deadline: whoever waits has answered without it. */
export class DeadlinePassed extends Error {
  constructor() {
    super('the review reached its deadline before judging finished');
    this.name = 'DeadlinePassed';
  }
}

export interface WorkBudgetOptions {
  /** Longest stretch of synchronous work before the event loop gets a turn. */
  readonly sliceMs: number;
  /** performance.now() after which the review is no longer worth judging. */
  readonly endsAt: number;
  /** Counts pauses (tests and the bench read it); optional. */
  readonly onPause?: () => void;
}

export class WorkBudget {
  #sliceStarted = performance.now();
  /** Just resumed: the next step runs whatever the slice, so every slice makes progress. */
  #resumed = false;
  constructor(private readonly options: WorkBudgetOptions) {}

  /** True when the current slice is used up: pause before more work. */
  sliceSpent(): boolean {
    if (this.#resumed) {
      this.#resumed = false;
      return false;
    }
    return performance.now() - this.#sliceStarted >= this.options.sliceMs;
  }

  get expired(): boolean {
    return performance.now() >= this.options.endsAt;
  }

  /** Resolves in a later turn of the event loop with a fresh slice; rejects once past the deadline. */
  pause(): Promise<void> {
    this.options.onPause?.();
    return new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        if (this.expired) return reject(new DeadlinePassed());
        this.#sliceStarted = performance.now();
        this.#resumed = true;
        resolve();
      }),
    );
  }
}
