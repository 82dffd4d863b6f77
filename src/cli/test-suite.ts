// Policy test cases as data (`*.test.yaml`): a policy, objects, and the verdict each should get.
// The same idea as `kyverno test` and `gator verify`: a team proves its policy file does what it
// means before it reaches a cluster. The suite runs through handleReview, like the server.
import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Ajv } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import jsonPatch from 'fast-json-patch';
import { handleReview } from '../admission/handle.js';
import type { KubeObject } from '../kube/workload.js';
import { loadPolicyFile, policyFromValue } from '../policy/load.js';
import type { CompiledPolicy } from '../policy/compile.js';
import { formatSchemaErrors } from '../schema-errors.js';
import { ErrorCode, HygieneError } from '../errors.js';
import { requestFor } from '../admission/object-request.js';

const ruleIds = { type: 'array', items: { type: 'string' } } as const;

export const testSuiteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cases'],
  properties: {
    name: { type: 'string' },
    policy: {
      type: ['object', 'string'],
      description: 'inline policy, or a policy file path relative to this file',
    },
    cases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'object', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1 },
          endpoint: { enum: ['validate', 'mutate'] },
          operation: { enum: ['CREATE', 'UPDATE', 'DELETE'] },
          namespace: { type: 'string' },
          userInfo: { type: 'object', properties: { username: { type: 'string' } } },
          dryRun: { type: 'boolean' },
          now: {
            type: 'string',
            pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2}))?$',
            description:
              'YYYY-MM-DD (its start, UTC) or an RFC 3339 time: the case is judged as of then (when exceptions expire); default: the current time',
          },
          object: { type: 'object' },
          oldObject: { type: 'object' },
          expect: {
            type: 'object',
            additionalProperties: false,
            properties: {
              allowed: { type: 'boolean' },
              deny: ruleIds,
              warn: ruleIds,
              patched: { type: 'object' },
            },
          },
        },
      },
    },
  },
} as const;

export type TestSuite = FromSchema<typeof testSuiteSchema>;
type TestCase = TestSuite['cases'][number];

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  /** What differed from the expectation; empty when the case passed. */
  readonly failures: string[];
}

// verbose: a failed pattern is explained by its schema's description.
const validateSuite = new Ajv({ allErrors: true, strict: false, verbose: true }).compile<TestSuite>(
  testSuiteSchema,
);

export function checkSuite(value: unknown, file: string): TestSuite {
  if (!validateSuite(value)) {
    throw new HygieneError(
      ErrorCode.INPUT_INVALID,
      `test file ${file} is not valid`,
      formatSchemaErrors(validateSuite.errors),
    );
  }
  return value;
}

function suitePolicy(suite: TestSuite, file: string): CompiledPolicy {
  if (suite.policy === undefined) return loadPolicyFile();
  if (typeof suite.policy === 'string') return loadPolicyFile(resolve(dirname(file), suite.policy));
  return policyFromValue(suite.policy, `${file} (inline policy)`);
}

const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();

function compareRules(
  what: 'deny' | 'warn',
  expected: readonly string[] | undefined,
  actual: string[],
): string[] {
  if (expected === undefined || isDeepStrictEqual(sorted(expected), actual)) return [];
  return [`expected ${what} [${sorted(expected).join(', ')}], got ${what} [${actual.join(', ')}]`];
}

async function runCase(c: TestCase, policy: CompiledPolicy): Promise<string[]> {
  const now = c.now === undefined ? undefined : new Date(c.now);
  if (now && Number.isNaN(now.getTime()))
    return [`now "${c.now}" is not a time: write YYYY-MM-DD or an RFC 3339 time`];
  const request = requestFor(c.object as KubeObject, {
    operation: c.operation,
    namespace: c.namespace,
    oldObject: c.oldObject as KubeObject | undefined,
    username: c.userInfo?.username,
    dryRun: c.dryRun,
  });
  const outcome = await handleReview(
    { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request },
    c.endpoint ?? 'validate',
    { policy, ...(now && { clock: () => now }) },
  );
  if (!outcome.answered) return [`the review was refused: ${outcome.body.error.message}`];
  const { response } = outcome.body;
  const { findings } = outcome.evaluation;
  const failures: string[] = [];
  if (c.expect.allowed !== undefined && c.expect.allowed !== response.allowed) {
    failures.push(
      `expected ${c.expect.allowed ? 'allowed' : 'denied'}, got ${response.allowed ? 'allowed' : 'denied'}`,
    );
  }
  const fired = (action: string) => sorted(findings.filter((f) => f.action === action).map((f) => f.rule));
  failures.push(...compareRules('deny', c.expect.deny, fired('deny')));
  failures.push(...compareRules('warn', c.expect.warn, fired('warn')));
  if (c.expect.patched !== undefined) {
    const ops = response.patch ? JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) : [];
    const patched = jsonPatch.applyPatch(structuredClone(c.object), ops, true, false).newDocument;
    if (!isDeepStrictEqual(patched, c.expect.patched)) {
      failures.push(`patched object differs from expect.patched; the patch was ${JSON.stringify(ops)}`);
    }
  }
  return failures;
}

export async function runSuite(value: unknown, file: string): Promise<CaseResult[]> {
  const suite = checkSuite(value, file);
  const policy = suitePolicy(suite, file);
  const results: CaseResult[] = [];
  for (const c of suite.cases) results.push({ file, name: c.name, failures: await runCase(c, policy) });
  return results;
}
