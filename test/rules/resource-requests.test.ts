// resource-requests as a user meets it: an AdmissionReview through handleReview, judged by the
// warning kubectl prints, the finding's JSON pointer, and whether the remedy it names, written
// into the manifest as it says, makes the warning go away.
import t from 'tap';
import { parse } from 'yaml';
import { handleReview } from '../../src/admission/handle.js';
import type { AdmissionResponse } from '../../src/admission/review.js';
import type { KubeObject } from '../../src/kube/workload.js';
import { parsePolicy } from '../../src/policy/load.js';
import type { CompiledPolicy } from '../../src/policy/compile.js';
import { HygieneError } from '../../src/errors.js';
import { reviewOf } from '../fixtures/objects.js';

const DEFAULT = parsePolicy('', 'default.yaml');
const IMAGE = 'ghcr.io/acme/api:v1.4.2';

type Container = Record<string, unknown>;
type Lists = Partial<Record<'containers' | 'initContainers' | 'ephemeralContainers', Container[]>>;

const podWith = (lists: Lists): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'team' },
  spec: { containers: [], ...lists },
});

async function judge(object: KubeObject, policy: CompiledPolicy = DEFAULT): Promise<AdmissionResponse> {
  const outcome = await handleReview(reviewOf(object), 'validate', { policy });
  if (!outcome.answered) throw new Error(`expected an answer, got a refusal: ${outcome.body.error.message}`);
  return outcome.body.response;
}

/** This rule's findings as the audit annotation lists them: JSON pointer and message. */
function findings(r: AdmissionResponse): { path: string; message: string; action: string }[] {
  const annotation = r.auditAnnotations?.['resource-requests'];
  return annotation ? JSON.parse(annotation) : [];
}

/** Writes the remedy a message names into the container, as a user following it would. */
function follow(container: Container, message: string): void {
  const whole = /add resources\.requests: (\{[^}]*\})/.exec(message);
  const added = /add ([^{}]*?) to resources\.requests/.exec(message);
  const resources = (container.resources ??= {}) as Record<string, Record<string, unknown>>;
  // The remedy is YAML, read as kubectl reads it: quantities must come out as strings.
  if (whole) resources.requests = parse(whole[1]!);
  else if (added) Object.assign((resources.requests ??= {}), parse(`{${added[1]!}}`));
  else throw new Error(`no remedy in: ${message}`);
  for (const value of Object.values(resources.requests!)) {
    if (typeof value !== 'string' || !/^\d+(\.\d+)?(m|Mi|Gi|Ki)?$/.test(value))
      throw new Error(`${JSON.stringify(value)} is not a quantity kubectl accepts`);
  }
}

t.test('a container without requests is warned, named, and told what to write', async (t) => {
  const app: Container = { name: 'app', image: IMAGE };
  const object = podWith({ containers: [app] });
  const r = await judge(object);
  t.equal(r.allowed, true, 'warn by default, never denied');
  t.same(r.warnings, [
    '[resource-requests] container "app" sets no CPU request and no memory request, so it is scheduled as if it needed none: add resources.requests: {cpu: 100m, memory: 128Mi}, sized to what it uses',
  ]);
  t.same(
    findings(r).map((f) => [f.path, f.action]),
    [['/spec/containers/0', 'warn']],
  );
  follow(app, findings(r)[0]!.message);
  t.same(app.resources, { requests: { cpu: '100m', memory: '128Mi' } });
  t.same(findings(await judge(object)), [], 'the remedy as written clears the warning');
});

t.test('one missing request is added to the requests already there', async (t) => {
  const app: Container = { name: 'app', image: IMAGE, resources: { requests: { cpu: '250m' } } };
  const object = podWith({ containers: [app] });
  const [finding] = findings(await judge(object));
  t.match(
    finding?.message,
    /^container "app" sets no memory request, .*: add memory: 128Mi to resources\.requests,/,
  );
  follow(app, finding!.message);
  t.same(app.resources, { requests: { cpu: '250m', memory: '128Mi' } }, 'the CPU request is kept');
  t.same(findings(await judge(object)), []);
});

t.test('a limit counts as the request Kubernetes will copy from it', async (t) => {
  const limited = { name: 'app', image: IMAGE, resources: { limits: { cpu: '1', memory: '1Gi' } } };
  t.same(findings(await judge(podWith({ containers: [limited] }))), []);
  const half = { name: 'app', image: IMAGE, resources: { limits: { cpu: '1' }, requests: {} } };
  t.match(findings(await judge(podWith({ containers: [half] })))[0]?.message, /sets no memory request/);
});

t.test(
  'containers and init containers of every pod template are judged; ephemeral ones are not',
  async (t) => {
    const bare = (name: string): Container => ({ name, image: IMAGE });
    const pod = podWith({
      initContainers: [bare('migrate'), { ...bare('proxy'), restartPolicy: 'Always' }],
      containers: [bare('app'), { ...bare('done'), resources: { requests: { cpu: '1', memory: '1Gi' } } }],
      // The API refuses resources on an ephemeral container: there is nothing to ask for.
      ephemeralContainers: [{ ...bare('debugger'), targetContainerName: 'app' }],
    });
    t.same(
      findings(await judge(pod)).map((f) => f.path),
      ['/spec/initContainers/0', '/spec/initContainers/1', '/spec/containers/0'],
    );
    const cronJob: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: { jobTemplate: { spec: { template: { spec: { containers: [bare('job')] } } } } },
    };
    t.same(
      findings(await judge(cronJob)).map((f) => f.path),
      ['/spec/jobTemplate/spec/template/spec/containers/0'],
    );
  },
);

t.test('resources that are not maps are judged as missing, without a crash', async (t) => {
  for (const resources of [
    'lots',
    null,
    [],
    { requests: 'some' },
    { requests: { cpu: null, memory: null } },
  ]) {
    const r = await judge(podWith({ containers: [{ name: 'app', image: IMAGE, resources }] }));
    t.match(
      findings(r)[0]?.message,
      /sets no CPU request and no memory request/,
      `resources: ${JSON.stringify(resources)}`,
    );
  }
});

t.test('the policy chooses the action, turns the rule off, and exempts images and namespaces', async (t) => {
  const bare = podWith({ containers: [{ name: 'app', image: IMAGE }] });
  const deny = await judge(bare, parsePolicy('rules:\n  resource-requests:\n    action: deny\n', 'p.yaml'));
  t.equal(deny.allowed, false);
  t.match(deny.status?.message, /- \[resource-requests\] container "app" sets no CPU request/);
  const off = await judge(bare, parsePolicy('rules:\n  resource-requests:\n    action: off\n', 'p.yaml'));
  t.same(off, { uid: off.uid, allowed: true });
  const exemptImage = parsePolicy('exemptImages: ["ghcr.io/acme/**"]\n', 'p.yaml');
  t.same(findings(await judge(bare, exemptImage)), []);
  const exemptNamespace = parsePolicy('exemptNamespaces: [team]\n', 'p.yaml');
  t.same(findings(await judge(bare, exemptNamespace)), []);
  try {
    parsePolicy('rules:\n  resource-requests:\n    action: block\n', 'p.yaml');
    t.fail('an unknown action must be refused');
  } catch (err) {
    t.ok(err instanceof HygieneError);
    t.same((err as HygieneError).details, [
      'p.yaml:3:13: rules.resource-requests.action: must be one of deny, warn, off',
    ]);
  }
});
