// The stand-in's etcd: objects keyed by group/kind, one resourceVersion counter for all of
// them, and a bounded history of change events that watches replay from. History older than
// the last compaction is gone, as on a real server: a watch from before it gets 410 Gone.
import { randomUUID } from 'node:crypto';
import { RESOURCE_TYPES, storageKey, type ResourceType } from './catalog.js';

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export const EventType = { ADDED: 'ADDED', MODIFIED: 'MODIFIED', DELETED: 'DELETED' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export interface ChangeEvent {
  readonly rv: number;
  readonly key: string;
  readonly type: EventType;
  readonly object: StoredObject;
}

const HISTORY_LIMIT = 10_000;
const clone = <T>(value: T): T => structuredClone(value);
const nameKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export function typeOfObject(object: { apiVersion?: string; kind?: string }): ResourceType {
  const [group, version] = object.apiVersion?.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const type =
    RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.kind === object.kind) ??
    RESOURCE_TYPES.find((t) => t.group === group && t.kind === object.kind);
  if (!type) throw new Error(`the API stand-in does not serve ${object.apiVersion} ${object.kind}`);
  return type;
}

export class ObjectStore {
  private revision = 1000;
  private compactedAt = 0;
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private history: ChangeEvent[] = [];
  private readonly listeners = new Set<(event: ChangeEvent) => void>();

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Creates or replaces an object; watches see ADDED or MODIFIED. */
  put(input: StoredObject): StoredObject {
    const type = typeOfObject(input);
    const key = storageKey(type);
    const bucket = this.objects.get(key) ?? new Map<string, StoredObject>();
    this.objects.set(key, bucket);
    const id = nameKey(
      type.namespaced ? (input.metadata.namespace ?? 'default') : undefined,
      input.metadata.name,
    );
    const previous = bucket.get(id);
    const object = clone(input);
    object.metadata.namespace = type.namespaced ? (input.metadata.namespace ?? 'default') : undefined;
    object.metadata.uid = previous?.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date().toISOString();
    object.metadata.resourceVersion = String(++this.revision);
    bucket.set(id, object);
    this.record(key, previous ? EventType.MODIFIED : EventType.ADDED, object);
    return clone(object);
  }

  /** Deletes an object; watches see DELETED. False when there was nothing to delete. */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    const type = typeOfObject({ apiVersion, kind });
    const key = storageKey(type);
    const id = nameKey(type.namespaced ? namespace : undefined, name);
    const object = this.objects.get(key)?.get(id);
    if (!object) return false;
    this.objects.get(key)?.delete(id);
    object.metadata.resourceVersion = String(++this.revision);
    this.record(key, EventType.DELETED, object);
    return true;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): StoredObject | undefined {
    const object = this.objects
      .get(storageKey(type))
      ?.get(nameKey(type.namespaced ? namespace : undefined, name));
    return object && clone(object);
  }

  /** The stored objects themselves, not copies (a list is serialised at once): never mutate them. */
  list(type: ResourceType, namespace?: string): StoredObject[] {
    const all = [...(this.objects.get(storageKey(type))?.entries() ?? [])];
    // etcd keys are /<namespace>/<name>: lists come back in that order.
    return all
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  /** Forgets every event so far: a watch that resumes from before now gets 410 Gone. */
  compact(): void {
    this.compactedAt = this.revision;
    this.history = [];
  }

  /** Events after `rv` for one storage key, or 'gone' when the history no longer reaches back that far. */
  eventsSince(key: string, rv: number): ChangeEvent[] | 'gone' {
    if (rv < this.compactedAt) return 'gone';
    return this.history.filter((e) => e.key === key && e.rv > rv).map(clone);
  }

  subscribe(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(key: string, type: EventType, object: StoredObject): void {
    const event = { rv: this.revision, key, type, object: clone(object) };
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) {
      this.compactedAt = this.history.shift()?.rv ?? this.compactedAt;
    }
    for (const listener of this.listeners) listener(clone(event));
  }
}
