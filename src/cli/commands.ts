// `kube-hygiene <command>`: each command is a module that takes its arguments and returns the
// exit code, so tests run them in-process; only cli/main.ts touches argv and the exit code.
import { HygieneError } from '../errors.js';
import { VERSION } from '../version.js';
import { usageProblem } from './usage.js';

type Command = (args: string[]) => Promise<number>;

interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
  /** The usage printed under a usage error. */
  readonly help: () => Promise<string>;
}

const COMMANDS: Record<string, CommandEntry> = {
  audit: {
    summary: 'judge what a live cluster runs, as enforce mode would (text, json, policyreport)',
    help: async () => (await import('./audit.js')).HELP,
    load: async () => (await import('./audit.js')).audit,
  },
  certs: {
    summary: 'generate or rotate the webhook certificates a cluster install needs',
    help: async () => (await import('./certs.js')).HELP,
    load: async () => (await import('./certs.js')).certs,
  },
  check: {
    summary: 'judge manifests offline (files, directories or -)',
    help: async () => (await import('./check.js')).HELP,
    load: async () => (await import('./check.js')).check,
  },
  fix: {
    summary: 'qualify image names and pin digests in manifests, in place (--dry-run for a diff)',
    help: async () => (await import('./fix.js')).HELP,
    load: async () => (await import('./fix.js')).fix,
  },
  review: {
    summary: 'answer an AdmissionReview the way the server would',
    help: async () => (await import('./review.js')).HELP,
    load: async () => (await import('./review.js')).review,
  },
  serve: {
    summary: 'run the admission webhook server (HTTPS) with health and metrics endpoints',
    help: async () => (await import('../main.js')).SERVE_HELP,
    load: async () => (await import('./serve.js')).serve,
  },
  test: {
    summary: 'run policy test cases written as data',
    help: async () => (await import('./test-cases.js')).HELP,
    load: async () => (await import('./test-cases.js')).testCases,
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return [
    'usage: kube-hygiene <command> [options]',
    '',
    'commands:',
    ...rows,
    '',
    'kube-hygiene <command> --help for its options; kube-hygiene --version for the release',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`kube-hygiene ${VERSION} (Node.js ${process.versions.node})\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`kube-hygiene: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(args);
  } catch (err) {
    const usage = usageProblem(err);
    if (usage !== undefined) {
      process.stderr.write(`kube-hygiene ${name}: ${usage}\n\n${await command.help()}\n`);
      return 2;
    }
    if (err instanceof HygieneError) {
      process.stderr.write(`kube-hygiene ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
