// `npm run generate`: rewrites every file generated from the rules and the policy schema
// (generate/outputs.ts lists them), and says which changed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFiles, REPO_ROOT } from './outputs.js';

const current = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

for (const [path, text] of await generatedFiles()) {
  const target = join(REPO_ROOT, path);
  if (current(target) === text) continue;
  writeFileSync(target, text);
  console.log(`wrote ${path}`);
}
