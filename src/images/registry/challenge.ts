// `WWW-Authenticate` as registries send it (RFC 9110 §11.6.1 with the Docker token
// parameters): `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
// scope="repository:library/nginx:pull"` or `Basic realm="..."`.
export interface Challenge {
  readonly scheme: 'bearer' | 'basic';
  readonly realm: string | undefined;
  readonly service: string | undefined;
  readonly scope: string | undefined;
}

const PARAM = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  // Prefer Bearer when a registry offers both.
  const ordered = [...values].sort((a, b) => Number(/^\s*bearer/i.test(b)) - Number(/^\s*bearer/i.test(a)));
  for (const value of ordered) {
    const match = /^\s*(bearer|basic)\b(.*)$/is.exec(value);
    if (!match) continue;
    const params = new Map<string, string>();
    for (const p of match[2]!.matchAll(PARAM)) {
      params.set(p[1]!.toLowerCase(), (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1'));
    }
    return {
      scheme: match[1]!.toLowerCase() as Challenge['scheme'],
      realm: params.get('realm'),
      service: params.get('service'),
      scope: params.get('scope'),
    };
  }
  return undefined;
}
