// URL → answer, for the read side of the Kubernetes REST API: discovery, GET of one object
// (and its /scale), list (cluster-wide or in one namespace, with labelSelector) and watch.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  apiVersionOf,
  coreVersions,
  findType,
  groupList,
  resourceList,
  type ResourceType,
} from './catalog.js';
import type { ObjectStore, StoredObject } from './store.js';
import { listOf, sendJson, sendStatus, tableOf, wantsTable } from './respond.js';
import { serveWatch, type OpenWatch } from './watch.js';

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

function parseTarget(group: string, version: string, rest: string[]): Target | undefined {
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [plural, name, subresource] = namespaced ? rest.slice(2) : rest;
  const type = plural ? findType(group, version, plural) : undefined;
  if (!type || (namespaced && !type.namespaced)) return undefined;
  return { type, namespace: namespaced ? rest[1] : undefined, name, subresource };
}

function matchesSelector(object: StoredObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    return key !== undefined && object.metadata.labels?.[key] === value;
  });
}

function scaleOf(object: StoredObject) {
  const spec = object.spec as { replicas?: number } | undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { ...object.metadata },
    spec: { replicas: spec?.replicas ?? 1 },
    status: { replicas: spec?.replicas ?? 1, selector: '' },
  };
}

/**
 * limit + continue: the continue token remembers the offset and the resourceVersion of the
 * first page, which every page reports. (A real server reads every page from that snapshot;
 * this one reads the current state, which a watch from that version then reconciles.)
 */
function paginate(items: StoredObject[], query: URLSearchParams, currentRv: string) {
  const limit = Number(query.get('limit'));
  const token = query.get('continue');
  const from = token
    ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as { rv: string; offset: number })
    : undefined;
  const offset = from?.offset ?? 0;
  const rv = from?.rv ?? currentRv;
  if (!(limit > 0) || offset + limit >= items.length)
    return { items: items.slice(offset), rv, next: undefined };
  const next = Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString('base64url');
  return { items: items.slice(offset, offset + limit), rv, next };
}

/** Answers one request; returns the watch it opened, if any. */
export function route(store: ObjectStore, req: IncomingMessage, res: ServerResponse): OpenWatch | undefined {
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method !== 'GET')
    return void sendStatus(res, 405, `the API stand-in only reads; ${req.method} is not served`);
  if (url.pathname === '/version')
    return void sendJson(res, 200, { major: '1', minor: '32', gitVersion: 'v1.32.0' });
  if (url.pathname === '/api') return void sendJson(res, 200, coreVersions());
  if (url.pathname === '/apis') return void sendJson(res, 200, groupList());

  const [root, ...tail] = parts;
  const [group, version, rest] =
    root === 'api'
      ? ['', tail[0] ?? '', tail.slice(1)]
      : root === 'apis'
        ? [tail[0] ?? '', tail[1] ?? '', tail.slice(2)]
        : [];
  if (group === undefined || !version)
    return void sendStatus(res, 404, `the server could not find ${url.pathname}`);
  if (!rest?.length) {
    const list = resourceList(group, version);
    return list ? void sendJson(res, 200, list) : void sendStatus(res, 404, `${url.pathname} is not served`);
  }
  const target = parseTarget(group, version, rest);
  if (!target)
    return void sendStatus(res, 404, `the server could not find the requested resource ${url.pathname}`);
  const { type, namespace, name, subresource } = target;
  const apiVersion = apiVersionOf(type);

  if (name) {
    const object = store.get(type, namespace, name);
    if (!object || (subresource && !type.subresources.includes(subresource))) {
      const what = `${type.plural}${type.group ? '.' + type.group : ''}`;
      return void sendStatus(res, 404, `${what} "${name}" not found`, { name, kind: type.plural });
    }
    const body = subresource === 'scale' ? scaleOf(object) : { ...object, apiVersion, kind: type.kind };
    return void sendJson(res, 200, body);
  }

  const query = url.searchParams;
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    const timeout = Number(query.get('timeoutSeconds'));
    return serveWatch(
      store,
      {
        type,
        apiVersion,
        namespace,
        resourceVersion: query.get('resourceVersion') ?? '',
        timeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
        allowBookmarks: query.get('allowWatchBookmarks') === 'true',
      },
      req,
      res,
    );
  }
  const all = store.list(type, namespace).filter((o) => matchesSelector(o, query.get('labelSelector')));
  const page = paginate(all, query, store.resourceVersion);
  const body = wantsTable(req.headers.accept)
    ? tableOf(page.items, page.rv)
    : listOf(type, apiVersion, page.items, page.rv);
  sendJson(res, 200, {
    ...body,
    metadata: { ...body.metadata, ...(page.next ? { continue: page.next } : {}) },
  });
  return undefined;
}
