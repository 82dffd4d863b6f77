// A real OCI registry (the CNCF distribution registry, Debian package `docker-registry`) as a
// child process on 127.0.0.1, in a temporary directory of its own; stopped by its PID. Its
// access log is kept so tests can count the requests it served.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export type RegistryAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'htpasswd'; readonly htpasswdLine: string }
  | {
      readonly kind: 'token';
      readonly realm: string;
      readonly service: string;
      readonly issuer: string;
      readonly signerCertPem: string;
    };

export interface RegistryProcessOptions {
  readonly auth: RegistryAuth;
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface RegistryProcess {
  readonly host: string;
  readonly url: string;
  readonly pid: number;
  readonly dir: string;
  /** Requests the registry logged as served, optionally only those whose method, URI and status match. */
  countRequests(method?: string, uriPart?: string, status?: number): number;
  /** Resolves once the access log has stopped growing (lines land just after each response). */
  logSettled(): Promise<void>;
  stop(): Promise<void>;
}

function authYaml(auth: RegistryAuth, dir: string): string {
  if (auth.kind === 'none') return '';
  if (auth.kind === 'htpasswd') {
    writeFileSync(join(dir, 'htpasswd'), auth.htpasswdLine + '\n');
    return `auth:\n  htpasswd:\n    realm: kube-hygiene-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(join(dir, 'signer.crt'), auth.signerCertPem);
  return (
    `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n` +
    `    issuer: ${auth.issuer}\n    rootcertbundle: ${join(dir, 'signer.crt')}\n`
  );
}

export async function startRegistry(options: RegistryProcessOptions): Promise<RegistryProcess> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(`${REGISTRY_BINARY} is missing: apt-get install docker-registry (.ci/run does this)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kh-registry-'));
  const port = await freePort();
  let tlsYaml = '';
  if (options.tls) {
    writeFileSync(join(dir, 'server.crt'), options.tls.certPem);
    writeFileSync(join(dir, 'server.key'), options.tls.keyPem);
    tlsYaml = `  tls:\n    certificate: ${join(dir, 'server.crt')}\n    key: ${join(dir, 'server.key')}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: false\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ${Math.random().toString(36).slice(2)}\n${tlsYaml}` +
    authYaml(options.auth, dir);
  writeFileSync(join(dir, 'config.yml'), config);
  const logFile = join(dir, 'registry.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', out, out],
  });
  // If the test process ends without its teardown (a crash, a timeout), take the registry along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );
  const scheme = options.tls ? 'https' : 'http';
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    url: `${scheme}://${host}`,
    pid: child.pid!,
    dir,
    countRequests: (method, uriPart, status) =>
      accessLog(logFile).filter(
        (r) =>
          (!method || r.method === method) &&
          (!uriPart || r.uri.includes(uriPart)) &&
          (status === undefined || r.status === status),
      ).length,
    logSettled: async () => {
      let size = -1;
      for (let i = 0; i < 40; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = statSync(logFile).size;
        if (now === size) return;
        size = now;
      }
    },
    stop,
  };
}

// The registry's access log is in combined log format: `... "HEAD /v2/x/manifests/y HTTP/1.1" 404 ...`.
function accessLog(logFile: string): { method: string; uri: string; status: number }[] {
  const lines = readFileSync(logFile, 'utf8').matchAll(
    /^\S+ - \S+ \[[^\]]*\] "([A-Z]+) (\S+) HTTP\/[\d.]+" (\d+)/gm,
  );
  return [...lines].map((m) => ({ method: m[1]!, uri: m[2]!, status: Number(m[3]) }));
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null)
      throw new Error(`docker-registry exited with ${child.exitCode} while starting`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(200, () => socket.destroy());
      socket.once('connect', () => {
        resolve(true);
        socket.destroy();
      });
      socket.once('close', () => resolve(false));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not listen on 127.0.0.1:${port} within 5 s`);
}
