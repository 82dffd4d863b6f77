// `npm run schema`: writes policies/schema.json from the schema in schema.ts, so editors and
// other tools validate policy files against the very schema the server uses.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { policySchemaDocument } from './schema-document.js';

const target = fileURLToPath(new URL('../../policies/schema.json', import.meta.url));
writeFileSync(target, policySchemaDocument());
console.log(`wrote ${target}`);
