// The cluster as the webhook sees it: informers for the kinds an HPA usually targets, for HPAs
// and for Namespaces, plus direct reads for what the cache cannot answer. It implements the
// narrow ClusterLookup the rules receive and the namespace-mode function the engine takes.
import type { KubeConfig } from '@kubernetes/client-node';
import { DirectReads } from './direct-reads.js';
import type { CachedResource, InformerPacing } from './informer.js';
import { startInformers } from './informer-set.js';
import { DeadlineExceeded, withDeadline } from './deadline.js';
import {
  TargetState,
  isWatchedTarget,
  type ClusterLookup,
  type HpaLookup,
  type ScaleTargetRef,
  type TargetLookup,
} from './lookup.js';
import type { SlimHpa, SlimObject } from './slim.js';
import { namespaceModeOf, type NamespaceMode } from './namespace-mode.js';

export interface ClusterViewOptions {
  /** Longest a direct read may take; keep it well under the webhook's timeoutSeconds. */
  readonly deadlineMs?: number;
  /** How long readiness waits for the first sync before it reports ready anyway. */
  readonly syncGraceMs?: number;
  /** Informer backoff, and how long one list page or watch start may take (InformerPacing). */
  readonly retry?: InformerPacing;
}

export interface Readiness {
  readonly ready: boolean;
  readonly detail: string;
}

export class ClusterView implements ClusterLookup {
  private readonly direct: DirectReads;
  private readonly targets: Readonly<Record<string, CachedResource<SlimObject>>>;
  private readonly hpas: CachedResource<SlimHpa>;
  private readonly namespaces: CachedResource<SlimObject>;
  private readonly deadlineMs: number;
  private readonly startedAt = Date.now();
  private readonly syncGraceMs: number;

  constructor(kc: KubeConfig, options: ClusterViewOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 2000;
    this.syncGraceMs = options.syncGraceMs ?? 30_000;
    this.direct = new DirectReads(kc, this.deadlineMs);
    ({
      targets: this.targets,
      hpas: this.hpas,
      namespaces: this.namespaces,
    } = startInformers(kc, options.retry));
  }

  private get informers(): CachedResource<SlimObject>[] {
    return [...Object.values(this.targets), this.hpas, this.namespaces];
  }

  async scaleTarget(namespace: string, ref: ScaleTargetRef): Promise<TargetLookup> {
    if (isWatchedTarget(ref)) {
      // A cache hit is an answer; a miss may be an object created a moment ago: ask the API.
      if (this.targets[ref.kind]?.get(ref.name, namespace)) return { state: TargetState.found };
      return this.bounded(this.direct.appsTarget(namespace, ref.kind, ref.name));
    }
    return this.bounded(this.direct.customTarget(namespace, ref));
  }

  async hpasTargeting(namespace: string, kind: string, name: string): Promise<HpaLookup> {
    let hpas: readonly SlimHpa[];
    try {
      hpas = this.hpas.synced ? this.hpas.list(namespace) : await this.direct.hpasIn(namespace);
    } catch (err) {
      return {
        state: TargetState.unknown,
        reason: `listing HPAs in ${namespace} failed: ${(err as Error).message}`,
      };
    }
    const names = hpas
      .filter(
        ({ spec: { scaleTargetRef: ref } }) => ref.kind === kind && ref.name === name && isWatchedTarget(ref),
      )
      .map((hpa) => hpa.metadata.name)
      .sort();
    return { state: TargetState.found, hpas: names };
  }

  /** The cached HPAs of `namespace` (all when omitted), slim. */
  listHpas(namespace?: string): readonly SlimHpa[] {
    return this.hpas.list(namespace);
  }

  /** The namespace's `kube-hygiene.io/mode` label, as the engine's namespaceMode. */
  namespaceMode = (namespace: string): NamespaceMode | undefined =>
    namespaceModeOf(this.namespaces.get(namespace)?.metadata.labels);

  /** Ready once every informer has listed, or once the grace period is over (rules then read directly). */
  readiness(): Readiness {
    const waiting = this.informers.filter((i) => !i.synced);
    if (!waiting.length) return { ready: true, detail: 'cluster cache synced' };
    const names = waiting.map((i) => `${i.name}${i.lastError ? ` (${i.lastError})` : ''}`).join(', ');
    if (Date.now() - this.startedAt >= this.syncGraceMs) {
      return {
        ready: true,
        detail: `serving without a synced cache for ${names}: lookups go to the API server`,
      };
    }
    return { ready: false, detail: `waiting for the first list of ${names}` };
  }

  /** Objects held per cache (for the kube_hygiene_cache_entries gauge). */
  cacheEntries(): Record<string, number> {
    return Object.fromEntries(this.informers.map((i) => [i.name, i.list().length]));
  }

  /** Resolves when every informer has listed once, or false after `ms`. */
  async waitForSync(ms: number): Promise<boolean> {
    const all = Promise.all(this.informers.map((i) => i.firstSync)).then(() => true);
    try {
      return await withDeadline(ms, () => all);
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private async bounded(lookup: Promise<TargetLookup>): Promise<TargetLookup> {
    try {
      return await withDeadline(this.deadlineMs, () => lookup);
    } catch (err) {
      const reason = err instanceof DeadlineExceeded ? err.message : String(err);
      return { state: TargetState.unknown, reason: `the API server gave ${reason}` };
    }
  }
}
