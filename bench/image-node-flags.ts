// The flags the image gives Node.js, read from the Dockerfile's exec-form ENTRYPOINT
// (["/usr/local/bin/node", …flags, "/app/dist/cli/main.js"]). The benchmarks start every server
// with them, so their figures are those of the server as it ships.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8');
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!entrypoint) throw new Error('Dockerfile: no exec-form ENTRYPOINT to take the Node.js flags from');
  return (JSON.parse(entrypoint[1]!) as string[]).slice(1, -1);
}
