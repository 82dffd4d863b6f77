// `check -o sarif` as a code-scanning upload reads it: valid against the published SARIF 2.1.0
// schema (test/fixtures/sarif), one descriptor per rule with its help, results at the line and
// column of the value they judge, paths relative to the working directory, Helm templates named.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { RULES } from '../../src/rules/index.js';

const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SCHEMA = JSON.parse(
  readFileSync(new URL('../fixtures/sarif/sarif-schema-2.1.0.json', import.meta.url), 'utf8'),
) as object;
// The schema is not ours to tidy: strict mode would refuse its own loose spots.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(SCHEMA);

const dir = mkdtempSync(join(tmpdir(), 'kh-sarif-'));
const file = (name: string, text: string) => {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), text);
  return name;
};
function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation?: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region?: { startLine: number; startColumn: number };
    };
    logicalLocations: { fullyQualifiedName: string }[];
  }[];
  relatedLocations?: { physicalLocation: { artifactLocation: { uri: string }; region: object } }[];
}
interface SarifLog {
  version: string;
  runs: {
    tool: {
      driver: { name: string; rules: { id: string; help: { text: string }; defaultConfiguration: object }[] };
    };
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: {
      executionSuccessful: boolean;
      toolExecutionNotifications: { message: { text: string } }[];
    }[];
    results: SarifResult[];
  }[];
}

function sarif(t: Test, r: { stdout: string }): SarifLog['runs'][number] {
  const log = JSON.parse(r.stdout) as SarifLog;
  t.ok(validate(log), `valid SARIF 2.1.0: ${ajv.errorsText(validate.errors)}`);
  t.equal(log.version, '2.1.0');
  t.equal(log.runs.length, 1);
  return log.runs[0]!;
}

const POD = `apiVersion: v1
kind: Pod
metadata: { name: side, namespace: team }
spec:
  containers:
    - name: app
      image: nginx:latest
    - name: proxy
      image: ghcr.io/acme/proxy:v2.0.0
      imagePullPolicy: Never
`;

t.test('the schema check can fail: a wrong level is refused', async (t) => {
  const r = cli(['check', '-o', 'sarif', file('manifests/pod.yaml', POD)]);
  const log = JSON.parse(r.stdout) as SarifLog;
  log.runs[0]!.results[0]!.level = 'fatal';
  t.notOk(validate(log), 'the validator reads the levels the schema allows');
});

t.test('rules, levels and physical locations', async (t) => {
  const r = cli(['check', '-o', 'sarif', file('manifests/pod.yaml', POD)]);
  t.equal(r.code, 1, r.stderr);
  const run = sarif(t, r);
  t.equal(run.tool.driver.name, 'kube-hygiene');
  const ids = run.tool.driver.rules.map((rule) => rule.id);
  t.same(ids, [...new Set(ids)], 'one descriptor per rule id');
  t.same(
    ids,
    RULES.map((rule) => rule.id).filter((id) => id !== 'image-digest'),
    'every rule the default policy runs (image-digest is off in it)',
  );
  const tag = run.tool.driver.rules.find((rule) => rule.id === 'image-tag')!;
  t.match(tag.help.text, RULES.find((rule) => rule.id === 'image-tag')!.docs.policy.join(' '));
  t.same(tag.defaultConfiguration, { level: 'error' }, 'deny is error');
  t.same(run.originalUriBaseIds.SRCROOT, { uri: pathToFileURL(dir).href + '/' });

  const of = (ruleId: string) => run.results.find((x) => x.ruleId === ruleId)!;
  const image = of('image-tag');
  t.equal(image.level, 'error');
  t.equal(run.tool.driver.rules[image.ruleIndex]!.id, 'image-tag', 'ruleIndex names the descriptor');
  t.match(image.message.text, /^Pod team\/side: container "app" image "nginx:latest" has a mutable tag/);
  t.same(image.locations[0]!.physicalLocation, {
    artifactLocation: { uri: 'manifests/pod.yaml', uriBaseId: 'SRCROOT' },
    region: { startLine: 7, startColumn: 14 },
  });
  t.same(image.locations[0]!.logicalLocations[0]!.fullyQualifiedName, 'Pod/team/side');
  const pull = of('image-pull-policy');
  t.equal(pull.level, 'warning', 'warn is warning');
  t.same(pull.locations[0]!.physicalLocation!.region, { startLine: 10, startColumn: 24 });
});

t.test('Helm output: the template is the location, the rendered line a related one', async (t) => {
  const rendered = file(
    'rendered/all.yaml',
    `---\n# Source: shop/templates/web.yaml\n${POD.replace('namespace: team', 'namespace: shop')}`,
  );
  const r = cli(['check', '-o', 'sarif', rendered]);
  const run = sarif(t, r);
  const result = run.results.find((x) => x.ruleId === 'image-tag')!;
  t.same(result.locations[0]!.physicalLocation, {
    artifactLocation: { uri: 'shop/templates/web.yaml', uriBaseId: 'SRCROOT' },
  });
  t.same(result.relatedLocations![0]!.physicalLocation, {
    artifactLocation: { uri: 'rendered/all.yaml', uriBaseId: 'SRCROOT' },
    region: { startLine: 9, startColumn: 14 },
  });

  const piped = cli(['check', '-o', 'sarif', '-'], POD);
  const fromStdin = sarif(t, piped).results[0]!;
  t.notOk(fromStdin.locations[0]!.physicalLocation, 'stdin without a template: no file to point at');
  t.equal(fromStdin.locations[0]!.logicalLocations[0]!.fullyQualifiedName, 'Pod/team/side');
});

t.test('audit mode, a path outside the working directory, an unreadable document', async (t) => {
  const outside = join(mkdtempSync(join(tmpdir(), 'kh-sarif-out-')), 'pod.yaml');
  writeFileSync(outside, POD);
  const broken = file('broken.yaml', 'kind: Pod\nmetadata:\n  name: x\n  name: y\n');
  const r = cli(['check', '-o', 'sarif', '--mode', 'audit', outside, broken]);
  t.equal(r.code, 2);
  const run = sarif(t, r);
  t.same(
    run.tool.driver.rules.find((rule) => rule.id === 'image-tag')!.defaultConfiguration,
    { level: 'warning' },
    'audit mode only warns',
  );
  t.ok(
    run.results.every((x) => x.level === 'warning'),
    'every finding a warning',
  );
  t.same(run.results[0]!.locations[0]!.physicalLocation!.artifactLocation, {
    uri: pathToFileURL(outside).href,
  });
  t.equal(run.invocations[0]!.executionSuccessful, false);
  t.match(run.invocations[0]!.toolExecutionNotifications[0]!.message.text, /^broken\.yaml:4:3: /);
});
