// An in-memory stand-in for the managed certificates' objects: a Secret and a Lease with
// resourceVersions and conflicts as the API server has them, webhook configurations that take a
// bundle, and failures on demand. Each replica gets its own view with its own name, so a test
// sees who wrote what.
import type { V1Secret } from '@kubernetes/client-node';
import { apiFailure, type SecretApi } from '../../src/cluster/certificate-objects.js';
import { ConflictError, type LeaseApi, type LeaseRecord } from '../../src/cluster/leader-lease.js';
import type { CaBundlePublisher } from '../../src/cluster/webhook-ca-bundle.js';

export type Operation = 'secret.read' | 'secret.write' | 'lease.read' | 'lease.write' | 'publish';

export interface Write {
  readonly by: string;
  readonly at: number;
  readonly data: Record<string, string>;
}

export class CertificateCluster {
  secret: V1Secret | undefined;
  lease: LeaseRecord | undefined;
  /** The bundle the "API server" trusts, and since when. */
  published: { bundle: string; at: number } | undefined;
  /** Every bundle published, in order. */
  readonly publications: { bundle: string; at: number }[] = [];
  readonly writes: Write[] = [];
  readonly calls = new Map<Operation, number>();
  /** Operations that fail, with the HTTP status they fail with. */
  readonly failing = new Map<Operation, number>();
  #version = 0;

  constructor(options: { secretExists?: boolean } = {}) {
    if (options.secretExists ?? true)
      this.secret = this.#stamp({ metadata: { name: 'tls', labels: { shipped: 'yes' } } });
  }

  #stamp(secret: V1Secret): V1Secret {
    return { ...secret, metadata: { ...secret.metadata, resourceVersion: String(++this.#version) } };
  }

  #call(op: Operation, verb: string, what: string) {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const status = this.failing.get(op);
    if (status) throw apiFailure(verb, what, { code: status });
  }

  secretApi(replica: string): SecretApi {
    return {
      read: async () => {
        this.#call('secret.read', 'get', 'secret kube-hygiene/tls');
        return structuredClone(this.secret);
      },
      write: async (read, data) => {
        this.#call('secret.write', read ? 'update' : 'create', 'secret kube-hygiene/tls');
        const current = this.secret?.metadata?.resourceVersion;
        if (read ? read.metadata?.resourceVersion !== current : current) throw new ConflictError('secret');
        this.secret = this.#stamp({ ...(read ?? { metadata: { name: 'tls' } }), data });
        this.writes.push({ by: replica, at: Date.now(), data });
        return structuredClone(this.secret);
      },
    };
  }

  leaseApi(): LeaseApi {
    const write = async (record: LeaseRecord, create: boolean) => {
      this.#call('lease.write', create ? 'create' : 'update', 'lease kube-hygiene/certs');
      if (create ? this.lease : record.resourceVersion !== this.lease?.resourceVersion)
        throw new ConflictError('lease');
      this.lease = { ...record, resourceVersion: String(++this.#version) };
    };
    return {
      read: async () => {
        this.#call('lease.read', 'get', 'lease kube-hygiene/certs');
        return this.lease && { ...this.lease };
      },
      create: (record) => write(record, true),
      replace: (record) => write(record, false),
    };
  }

  publisher(): CaBundlePublisher {
    return async (bundle) => {
      this.calls.set('publish', (this.calls.get('publish') ?? 0) + 1);
      if (this.failing.has('publish'))
        return {
          published: false,
          updated: [],
          problems: ['validatingwebhookconfiguration/kube-hygiene not found'],
        };
      if (this.published?.bundle === bundle) return { published: true, updated: [], problems: [] };
      this.published = { bundle, at: Date.now() };
      this.publications.push(this.published);
      return { published: true, updated: ['validatingwebhookconfiguration/kube-hygiene'], problems: [] };
    };
  }
}
