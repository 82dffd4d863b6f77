// What `audit` knows of the cluster: the names it listed, kept as it lists them, answering the
// same questions the webhook's view answers. A kind that could not be listed (403) is read
// directly instead, so a missing permission is never mistaken for a missing object.
import type { DirectReads } from './direct-reads.js';
import {
  TargetState,
  isWatchedTarget,
  type ClusterLookup,
  type HpaLookup,
  type ScaleTargetRef,
  type TargetLookup,
} from './lookup.js';
import type { SlimHpa } from './slim.js';

export class ListedSnapshot implements ClusterLookup {
  private readonly names = new Map<string, Set<string>>();
  private readonly listed = new Set<string>();
  private readonly hpas: SlimHpa[] = [];

  constructor(private readonly direct: Pick<DirectReads, 'appsTarget' | 'customTarget'>) {}

  /** Records one listed object of `kind`. */
  add(kind: string, namespace: string, name: string): void {
    const names = this.names.get(kind) ?? new Set<string>();
    names.add(`${namespace}/${name}`);
    this.names.set(kind, names);
  }

  addHpa(hpa: SlimHpa): void {
    this.hpas.push(hpa);
  }

  /** Every object of `kind` (in the audited namespaces) has been added: absence now means missing. */
  markListed(kind: string): void {
    this.listed.add(kind);
  }

  /** The HPAs added so far. */
  listHpas(): readonly SlimHpa[] {
    return this.hpas;
  }

  async scaleTarget(namespace: string, ref: ScaleTargetRef): Promise<TargetLookup> {
    if (!isWatchedTarget(ref)) return this.direct.customTarget(namespace, ref);
    if (this.names.get(ref.kind)?.has(`${namespace}/${ref.name}`)) return { state: TargetState.found };
    if (this.listed.has(ref.kind)) return { state: TargetState.missing };
    return this.direct.appsTarget(namespace, ref.kind, ref.name);
  }

  async hpasTargeting(namespace: string, kind: string, name: string): Promise<HpaLookup> {
    const hpas = this.hpas
      .filter(({ metadata, spec: { scaleTargetRef: ref } }) => {
        return metadata.namespace === namespace && ref.kind === kind && ref.name === name;
      })
      .map((hpa) => hpa.metadata.name)
      .sort();
    return { state: TargetState.found, hpas };
  }
}
