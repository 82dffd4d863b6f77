// `kube-hygiene <command>`: each command is a module that takes its arguments and returns the
// exit code, so tests run them in-process; only cli/main.ts touches argv and the exit code.
import { HygieneError } from '../errors.js';
import { VERSION } from '../version.js';

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  audit: {
    summary: 'judge what a live cluster runs, as enforce mode would (text, json, policyreport)',
    load: async () => (await import('./audit.js')).audit,
  },
  certs: {
    summary: 'generate or rotate the webhook certificates a cluster install needs',
    load: async () => (await import('./certs.js')).certs,
  },
  check: {
    summary: 'judge manifests offline (files, directories or -)',
    load: async () => (await import('./check.js')).check,
  },
  fix: {
    summary: 'qualify image names and pin digests in manifests, in place (--dry-run for a diff)',
    load: async () => (await import('./fix.js')).fix,
  },
  review: {
    summary: 'answer an AdmissionReview the way the server would',
    load: async () => (await import('./review.js')).review,
  },
  serve: {
    summary: 'run the admission webhook server (HTTPS) with health and metrics endpoints',
    load: async () => (await import('./serve.js')).serve,
  },
  test: {
    summary: 'run policy test cases written as data',
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
    if (err instanceof HygieneError) {
      process.stderr.write(`kube-hygiene ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
