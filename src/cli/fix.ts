// `kube-hygiene fix [options] PATH…`: the image remedies, applied to manifests in place.
// Exit 0: nothing left to fix; 1: findings remain that no automatic fix settles (a sprawl tag
// without --pin-digests, an image no registry would pin); 2: bad usage, or a file that could
// not be read or rewritten losslessly.
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import { expandPaths, type ReadProblem } from './documents.js';
import { policyFromOptions } from './policy-options.js';
import { LOOKUP_BUDGET_MS, registryLookups } from './registry-options.js';
import { fixFile, type FixedFile } from './fix-file.js';
import { remainingFindings } from './fix-findings.js';
import { unifiedDiff } from './unified-diff.js';
import { LookupBudget } from '../images/lookup-budget.js';
import { ErrorCode, HygieneError } from '../errors.js';

export const HELP = `usage: kube-hygiene fix [options] PATH…

Rewrites the images of Kubernetes manifests in place, changing nothing else (comments, key
order, quoting and layout stay as written). PATH is a file or a directory (walked for *.yaml,
*.yml, *.json).

  - short names become the name the container runtime reads (nginx:1.27.3 is
    docker.io/library/nginx:1.27.3), when the policy's allowedRegistries admit it
  - --pin-digests adds the digest the registry serves for each tag now, keeping the tag
    (repo:v1.4.2@sha256:…), with the policy's registries / registryLookup settings

options:
      --pin-digests   pin every image to the digest its registry serves now
      --dry-run       print a unified diff of what would change, and change nothing
      --policy FILE   policy file (default: the embedded default policy)
  -h, --help

exit codes: 0 nothing left to fix, 1 findings remain that no automatic fix settles,
2 bad usage or a file that could not be read or rewritten losslessly`;

interface FixIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        'pin-digests': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        policy: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    // One line; the command table prints the usage under it (commands.ts).
    throw new HygieneError(ErrorCode.USAGE, (err as Error).message);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function fix(args: string[], io: FixIo = process): Promise<number> {
  const { values, positionals } = options(args);
  if (values.help) {
    io.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new HygieneError(ErrorCode.USAGE, 'give files or directories');
  if (positionals.includes('-')) {
    throw new HygieneError(
      ErrorCode.USAGE,
      'fix rewrites files in place and cannot read stdin: give files or directories',
    );
  }
  const policy = policyFromOptions(values.policy, undefined);
  const registry = values['pin-digests'] ? registryLookups(policy) : undefined;
  const lookups =
    registry && (() => registry.forRequest({ namespace: '', deadline: new LookupBudget(LOOKUP_BUDGET_MS) }));
  const dryRun = values['dry-run'];
  // The diff is what stdout carries in a dry run (for patch or git apply); everything else is said on stderr.
  const report = dryRun ? io.stderr : io.stdout;

  const problems: ReadProblem[] = [];
  const files = expandPaths(positionals, problems);
  const errors = problems.map((p) => p.message);
  let changed = 0;
  let changedFiles = 0;
  let remaining = 0;
  for (const name of files) {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (err) {
      errors.push(`${name}: cannot read: ${(err as Error).message}`);
      continue;
    }
    const fixed: FixedFile = await fixFile(name, text, { policy, lookups });
    if (fixed.error) {
      errors.push(fixed.error);
      continue;
    }
    for (const c of fixed.changes) report.write(`${c.where}: ${c.from} -> ${c.to}\n`);
    if (fixed.after !== fixed.before) {
      changed += fixed.changes.length;
      changedFiles++;
      // `a/` + the path as given, so `patch -p1` from the same directory (or / for an absolute path) applies it.
      const shown = isAbsolute(name) ? name.slice(1) : name;
      if (dryRun) io.stdout.write(unifiedDiff(shown, fixed.before, fixed.after));
      else writeFileSync(name, fixed.after);
    }
    const findings = await remainingFindings(name, fixed.after, policy);
    for (const line of [...fixed.left.map((l) => `${l}`), ...findings.lines]) report.write(`${line}\n`);
    remaining += fixed.left.length + findings.denied;
  }
  for (const error of errors) io.stderr.write(`error ${error}\n`);
  const verb = dryRun ? 'would fix' : 'fixed';
  const parts = [`${verb} ${plural(changed, 'image')} in ${plural(changedFiles, 'file')}`];
  if (remaining) parts.push(`${plural(remaining, 'finding')} left that fix cannot settle`);
  if (errors.length) parts.push(plural(errors.length, 'error'));
  report.write(`${parts.join('; ')}${dryRun ? ' (nothing written)' : ''}\n`);
  if (errors.length) return 2;
  return remaining ? 1 : 0;
}
