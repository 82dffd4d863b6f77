// Bodies the way the API server writes them: JSON objects, metav1.Status for every error, and
// meta.k8s.io Tables when kubectl asks for one (it prints what the server renders).
import type { ServerResponse } from 'node:http';
import type { StoredObject } from './store.js';
import type { ResourceType } from './catalog.js';

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  410: 'Expired',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function status(code: number, message: string, details?: { name?: string; kind?: string }) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

export function sendStatus(
  res: ServerResponse,
  code: number,
  message: string,
  details?: { name?: string; kind?: string },
) {
  sendJson(res, code, status(code, message, details));
}

export function listOf(
  type: ResourceType,
  apiVersion: string,
  items: StoredObject[],
  resourceVersion: string,
) {
  return {
    kind: `${type.kind}List`,
    apiVersion,
    metadata: { resourceVersion },
    items: items.map((item) => ({ ...item, apiVersion, kind: type.kind })),
  };
}

export const wantsTable = (accept: string | undefined) => (accept ?? '').includes('as=Table');

function age(created: string | undefined): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(created ?? '')) / 1000));
  return Number.isFinite(seconds) ? `${seconds}s` : '<unknown>';
}

/** The Table `kubectl get` renders: name and age, plus each row's metadata for -A's namespace column. */
export function tableOf(items: StoredObject[], resourceVersion: string) {
  const column = (name: string, format = '') => ({
    name,
    type: 'string',
    format,
    description: '',
    priority: 0,
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [column('Name', 'name'), column('Age')],
    rows: items.map((item) => ({
      cells: [item.metadata.name, age(item.metadata.creationTimestamp)],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: item.metadata },
    })),
  };
}
