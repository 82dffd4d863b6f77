// policies/schema.json as text: the policy schema with its draft declared.
import { policySchema } from './schema.js';

export function policySchemaDocument(): string {
  return (
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...policySchema }, null, 2) + '\n'
  );
}
