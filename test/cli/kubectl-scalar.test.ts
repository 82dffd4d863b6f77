// kubectlScalar against what a real kubectl made of each unquoted form (recorded in
// test/fixtures/kubectl-scalars.json), and the recording against the kubectl on this machine.
// KUBECTL_RECORD=1 writes the recording anew.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kubectlScalar } from '../../src/cli/kubectl-scalar.js';
import { kubectlReads, REFUSED } from '../harness/kubectl-reads.js';

const RECORDING = fileURLToPath(new URL('../fixtures/kubectl-scalars.json', import.meta.url));

// Every resolve() branch: the YAML 1.1 words and their near misses, Go's integer prefixes and
// underscores, floats with and without a dot, 64-bit limits, and what the YAML 1.1 spec calls
// numbers or dates but go-yaml leaves as strings (base 60, timestamps).
const FORMS = [
  ...'y Y yes Yes YES yEs n N no No NO on On ON off Off OFF oFF true True TRUE tRue false False FALSE'.split(
    ' ',
  ),
  ...'~ null Null NULL nULL'.split(' '),
  '',
  ...'.nan .NaN .NAN nan NaN .inf .Inf .INF +.inf -.inf -.Inf Inf Infinity'.split(' '),
  ...'0 00 012 0755 08 09 0_8 -0 +0 +12 -1 1_000 1__0 1_ +_1 _1 0x1F 0X1F 0x1f 0x_1F +0x1F -0x1F 0x'.split(
    ' ',
  ),
  ...'0o17 0O17 0o 0o8 0b101 0B11 0b1_0 -0b11 +0b11 0b'.split(' '),
  ...'1.0 1. 0. .5 +.5 -.5 .5_0 ._5 . .e3 .5e3 1e3 1E3 12e03 1e+3 1.5E+3 1e_3 1e3_ 1_0.5 685_230.15'.split(
    ' ',
  ),
  ...'6.8523015e+5 1e999 1e-999 0x1p-2 1,000 1:20 190:20:30 2001-12-14 2001-1-1 2001-12-14t21:59:43.10-05:00'.split(
    ' ',
  ),
  ...'9223372036854775807 9223372036854775808 -9223372036854775808 -9223372036854775809'.split(' '),
  ...'18446744073709551615 18446744073709551616 99999999999999999999999 0xFFFFFFFFFFFFFFFF'.split(' '),
  ...'0xFFFFFFFFFFFFFFFFFF << = + yes-please v1 1.2.3 1.25'.split(' '),
];

interface Reading {
  readonly text: string;
  readonly value?: unknown;
  readonly refused?: true;
}

function record(): Reading[] {
  const readings = kubectlReads(FORMS);
  return FORMS.map((text) => {
    const value = readings.get(text);
    return value === REFUSED ? { text, refused: true } : { text, value };
  });
}

if (process.env.KUBECTL_RECORD) writeFileSync(RECORDING, JSON.stringify(record(), null, 2) + '\n');
const recorded: Reading[] = JSON.parse(readFileSync(RECORDING, 'utf8'));

t.test('every recorded form reads as kubectl read it', async (t) => {
  t.same(
    recorded.map((r) => r.text),
    FORMS,
    'the recording covers every form (KUBECTL_RECORD=1 to record again)',
  );
  for (const { text, value, refused } of recorded) {
    const mine = kubectlScalar(text);
    if (refused) t.ok(typeof mine === 'number' && !Number.isFinite(mine), `${text}: JSON cannot hold it`);
    else t.same(mine, value, `${JSON.stringify(text)} → ${JSON.stringify(value)}`);
  }
});

t.test('the recording is what the kubectl on this machine reads', async (t) => {
  t.same(record(), recorded);
});
