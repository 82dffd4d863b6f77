// DNS resolution that checks before it connects. Node's http/https call `lookup` once per
// connection and connect to the address it returns, so checking every resolved address here
// and handing back a checked one leaves no window for a second, different DNS answer
// (DNS rebinding). IP literals never reach `lookup`: `checkLiteralHost` covers them first.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { blockedAddressReason } from './address-policy.js';
import { LookupFailure, RegistryLookupError } from './lookup-error.js';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has. Tests inject one; production uses the OS. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/**
 * `settingsKey` is the URL's host with its port: the key a policy entry must use to allow it.
 * The address and the key come first, the reason last: a node-arch warning quoting this is
 * cut at 256 bytes, and the key is what the reader needs to act on.
 */
function blocked(settingsKey: string, address: string, reason: string): RegistryLookupError {
  return new RegistryLookupError(
    LookupFailure.blockedAddress,
    `refusing ${address}: set registries["${settingsKey}"].allowPrivateAddress: true in the policy ` +
      `if this is a registry inside your network (${reason})`,
  );
}

/** Checks an IP-literal host before any socket exists; names are checked in the lookup. */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const bare = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(bare) === 0) return;
  const reason = blockedAddressReason(bare);
  if (reason) throw blocked(url.host, bare, reason);
}

/** A `lookup` for http.request that refuses the request when any resolved address is blocked. */
export function guardedLookup(
  resolver: Resolver,
  allowPrivate: boolean,
  settingsKey: string,
): LookupFunction {
  return (hostname, options, callback) => {
    const wantAll = typeof options === 'object' && options.all === true;
    resolver(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          return callback(
            Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }),
            '',
          );
        }
        if (!allowPrivate) {
          // Every address, not just the first: a name with one public and one private
          // address could otherwise reach the private one on a retry or a happy-eyeballs race.
          for (const { address } of addresses) {
            const reason = blockedAddressReason(address);
            if (reason) return callback(blocked(settingsKey, address, reason), '');
          }
        }
        if (wantAll)
          return callback(
            null,
            addresses.map((a) => ({ ...a })),
          );
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, ''),
    );
  };
}
