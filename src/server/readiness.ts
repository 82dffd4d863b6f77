// What /readyz answers. Ready means: a certificate is serving, a policy is loaded, every
// registered check (caches that must be warm) passes, and the process is not shutting down.
// Going unready first on SIGTERM is what lets endpoints drop this pod before it stops.

/** A check returns undefined when fine, or the reason it is not. */
export type ReadinessCheck = () => string | undefined;

export class Readiness {
  #draining = false;
  readonly #checks = new Map<string, ReadinessCheck>();

  addCheck(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Every reason this instance should not get traffic; empty when ready. */
  reasons(): string[] {
    const out = this.#draining ? ['shutting down: finishing in-flight requests'] : [];
    for (const [name, check] of this.#checks) {
      let reason: string | undefined;
      try {
        reason = check();
      } catch (err) {
        reason = `check failed: ${(err as Error).message}`;
      }
      if (reason) out.push(`${name}: ${reason}`);
    }
    return out;
  }
}
