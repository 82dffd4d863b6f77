// ajv errors, said the way a person reads a document: a dotted path and what is wrong there.
import type { ErrorObject } from 'ajv';
import { pointerSteps } from './json.js';

/** `/rules/image-tag/mutableTags/2` → `rules.image-tag.mutableTags[2]`. */
export function dottedPath(steps: readonly string[]): string {
  return (
    steps.reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out ? `${out}.${s}` : s), '') ||
    '(top level)'
  );
}

export interface SchemaProblem {
  /** Path of the offending value (for an unknown key: the key itself). */
  readonly steps: string[];
  readonly text: string;
  /** The problem is the key itself (an unknown key), not its value. */
  readonly atKey?: boolean;
}

export function describeSchemaError(error: ErrorObject): SchemaProblem {
  const steps = pointerSteps(error.instancePath);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        steps: [...steps, String(p.additionalProperty)],
        text: `unknown key "${String(p.additionalProperty)}"`,
        atKey: true,
      };
    case 'required':
      return { steps: [...steps, String(p.missingProperty)], text: 'is required' };
    case 'enum':
      return { steps, text: `must be one of ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { steps, text: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'format':
      return {
        steps,
        text:
          p.format === 'date'
            ? 'must be a date YYYY-MM-DD that the calendar has'
            : `must be a valid ${String(p.format)}`,
      };
    case 'minProperties': {
      // "must NOT have fewer than 1 properties" says nothing of which ones: name them.
      const keys = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        steps,
        text: keys.length ? `must give at least one of ${keys.join(', ')}` : (error.message ?? 'is invalid'),
      };
    }
    case 'pattern': {
      // A pattern means nothing to a reader; the schema's description says what is expected.
      const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
      return {
        steps,
        text: typeof description === 'string' ? `must be ${description}` : 'is not valid here',
      };
    }
    default:
      return { steps, text: error.message ?? 'is invalid' };
  }
}

export function formatSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const { steps, text } = describeSchemaError(e);
    return `${dottedPath(steps)}: ${text}`;
  });
}
