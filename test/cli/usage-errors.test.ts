// Usage errors as every command reports them: one line, then the command's usage, exit 2;
// never a Node stack trace; missing paths said in words. The real binary, as a user runs it.
import t from 'tap';
import { runCliSync, scratch } from '../harness/cli-process.js';
import { join } from 'node:path';

const { root } = scratch('kh-usage-');
const cli = runCliSync;

t.test('usage errors: one line and the command usage, exit 2, for every command', async (t) => {
  const commands: [string[], string][] = [
    [['check', '--nope', '-'], 'check'],
    [['check', '-o'], 'check'],
    [['audit', '--nope'], 'audit'],
    [['review', '--nope'], 'review'],
    [['test', '--nope'], 'test'],
    [['certs', 'generate', '--nope'], 'certs'],
    [['serve', '--nope'], 'serve'],
  ];
  for (const [args, name] of commands) {
    const r = cli(args);
    t.equal(r.code, 2, args.join(' '));
    const [first, blank, usage] = r.stderr.split('\n');
    t.match(
      first,
      new RegExp(
        `^kube-hygiene ${name}: (unknown option --nope|option '-o, --output <value>' argument missing)$`,
      ),
      args.join(' '),
    );
    t.equal(blank, '');
    t.match(usage, new RegExp(`^usage: kube-hygiene ${name}`));
    t.notMatch(r.stderr, /ERR_PARSE_ARGS|\n\s+at /, 'no stack trace');
  }
  const missing = cli(['check', join(root, 'no-such.yaml')]);
  t.equal(missing.code, 2);
  t.match(missing.stdout, `error no such file or directory: ${join(root, 'no-such.yaml')}`);
  t.notMatch(missing.stdout, /ENOENT/);
});
