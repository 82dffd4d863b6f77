// No Docker engine runs here, so the Dockerfile is read the way BuildKit reads it (dockerfile-ast)
// and its properties asserted: stages, pinned and qualified base images (judged by kube-hygiene's
// own rules), production dependencies only, a numeric non-root user, no shell at run time, an
// exec-form entry point that exists in the build, and a build context that carries no secret.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { imageNodeFlags } from '../../bench/image-node-flags.js';
import { REPO } from '../harness/server-process.js';
import { tempDir } from '../harness/tls.js';

const dockerfile = DockerfileParser.parse(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const froms = dockerfile.getFROMs();
const stageOf = (line: number) => froms.filter((f) => f.getRange().start.line <= line).length - 1;
const stages = froms.map((from, i) => ({
  from,
  name: from.getBuildStage(),
  instructions: dockerfile.getInstructions().filter((ins) => stageOf(ins.getRange().start.line) === i),
}));
const final = stages.at(-1)!;
const keyword = (ins: Instruction) => ins.getKeyword();
const raw = (ins: Instruction) => ins.getRawArgumentsContent() ?? '';
const copiedFrom = (ins: Instruction) => (ins instanceof Copy ? ins.getFromFlag()?.getValue() : undefined);
const isExecForm = (ins: Instruction) => (ins.getRawArgumentsContent() ?? '').trim().startsWith('[');

t.test('multi-stage, every base image pinned to a version and registry-qualified', async (t) => {
  t.ok(stages.length >= 3, `${stages.length} stages`);
  for (const { from } of stages) {
    const image = from.getImage() ?? '';
    t.ok(from.getImageDigest() || /^\d+\.\d+\.\d+/.test(from.getImageTag() ?? ''), `${image}: a version tag`);
    t.notMatch(from.getImageTag() ?? '', /latest/);
  }
  // The same judgement deploy/ gets: each base image in a Pod, through kube-hygiene check.
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'base-images' },
    spec: {
      containers: froms.map((f, i) => ({
        name: `stage-${i}`,
        image: f.getImage(),
        // The images alone are judged here: a build stage has no resources to request.
        resources: { requests: { cpu: '1', memory: '1Gi' } },
      })),
    },
  };
  const file = join(tempDir(), 'base-images.json');
  writeFileSync(file, JSON.stringify(pod));
  const run = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'check', file], {
    encoding: 'utf8',
  });
  t.equal(run.status, 0, `kube-hygiene check passes the base images\n${run.stdout}`);
  t.match(run.stdout, /checked 1 object in 1 file: 0 denied, 0 warned/);
  // Built for both architectures: the build stage runs on the builder's platform.
  t.equal(stages[0]!.from.getPlatformFlag()?.getValue(), '$BUILDPLATFORM');
  t.notOk(final.from.getPlatformFlag(), 'the run-time image is the target platform');
});

t.test('production dependencies only in the run-time image', async (t) => {
  const deps = stages.find((s) =>
    s.instructions.some(
      (i) => keyword(i) === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(i.getArgumentsContent() ?? ''),
    ),
  );
  t.ok(deps?.name, 'a named stage runs npm ci --omit=dev');
  const copies = final.instructions.filter((i) => keyword(i) === 'COPY');
  const modules = copies.find((c) => /node_modules/.test(raw(c)));
  t.equal(modules && copiedFrom(modules), deps?.name, 'node_modules come from that stage');
  t.notOk(
    final.instructions.some((i) => keyword(i) === 'RUN' && /\bnpm (ci|install|run)\b/.test(raw(i))),
    'no npm in the run-time stage',
  );
  // What the server reads at run time is copied: dist/, the embedded policy, package.json (type: module).
  const copied = copies.map((c) => c.getArgumentsContent() ?? '').join('\n');
  for (const needed of ['dist', 'policies', 'package.json']) t.match(copied, needed, `${needed} is copied`);
});

t.test('non-root by number, no shell at run time, exec-form entry point', async (t) => {
  const users = final.instructions.filter((i) => keyword(i) === 'USER');
  const user = users.at(-1)?.getArgumentsContent() ?? '';
  t.match(user, /^\d+(:\d+)?$/, 'numeric, so runAsNonRoot can verify it');
  t.not(user.split(':')[0], '0', 'not root');
  const runs = final.instructions.filter((i) => keyword(i) === 'RUN');
  t.ok(runs.every(isExecForm), 'every RUN of the run-time stage is exec form (needs no shell)');
  t.match(runs.map((r) => r.getArgumentsContent()).join(' '), /"\/bin\/sh"/, 'and the shell is removed');
  const [entrypoint] = final.instructions.filter((i) => keyword(i) === 'ENTRYPOINT');
  t.ok(entrypoint && isExecForm(entrypoint), 'ENTRYPOINT in exec form');
  const argv = JSON.parse(entrypoint!.getArgumentsContent()!) as string[];
  t.equal(argv[0], '/usr/local/bin/node');
  const script = argv.at(-1)!;
  t.ok(existsSync(join(REPO, script.replace(/^\/app\//, ''))), `${script} exists in the build`);
  // Node.js refuses a flag it does not know ("bad option") before running anything.
  const flags = argv.slice(1, -1);
  t.ok(
    flags.every((f) => f.startsWith('--')),
    `Node.js flags between node and the script: ${flags}`,
  );
  const accepted = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  t.equal(accepted.status, 0, `Node.js ${process.version} takes ${flags.join(' ')}: ${accepted.stderr}`);
  t.same(imageNodeFlags(), flags, 'the benchmarks start their servers with the same flags');
  const [cmd] = final.instructions.filter((i) => keyword(i) === 'CMD');
  t.same(JSON.parse(cmd!.getArgumentsContent()!), ['serve']);
  t.same(
    dockerfile
      .getInstructions()
      .filter((i) => keyword(i) === 'EXPOSE')
      .flatMap((i) => i.getArguments().map((a) => a.getValue())),
    ['8443', '9090'],
  );
});

t.test('.dockerignore lets in what the Dockerfile copies and no key', async (t) => {
  const rules = readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  t.equal(rules[0], '*', 'everything is excluded unless listed');
  const allowed = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/$/, ''));
  const sources = dockerfile
    .getInstructions()
    .filter((i) => keyword(i) === 'COPY' && !copiedFrom(i))
    .flatMap((i) =>
      i
        .getArguments()
        .slice(0, -1)
        .map((a) => a.getValue()),
    );
  for (const source of sources) t.ok(allowed.includes(source), `${source} is in the build context`);
  for (const secret of ['deploy', '.dev-certs', 'node_modules', 'dist'])
    t.notOk(
      allowed.some((a) => a === secret || a.startsWith(`${secret}/`)),
      `${secret} stays out`,
    );
});

t.test('one Node.js LTS line: the image, engines and npm run test:lts', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    engines: { node: string };
    scripts: Record<string, string>;
  };
  const majors = new Set(froms.map((f) => Number(/^(\d+)\./.exec(f.getImageTag() ?? '')?.[1]) || 0));
  t.equal(majors.size, 1, 'every stage runs the same Node.js major');
  const [major] = majors;
  // Even majors become LTS; 20 reached its end of life on 2026-04-30.
  t.ok(major! % 2 === 0 && major! >= 22, `node ${major} is a supported LTS line`);
  t.ok(
    froms.every((f) => f.getImage()?.startsWith('docker.io/library/node:')),
    'the official node image',
  );
  const minimum = Number(/^>=(\d+)/.exec(pkg.engines.node)?.[1]);
  t.ok(minimum >= 22 && minimum <= major!, `engines ${pkg.engines.node} admits the image's node ${major}`);
  t.match(pkg.scripts['test:lts'], `npx -y -p node@${major} `, 'test:lts runs the image’s line');
});

t.test('the image carries the license package.json names', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string };
  t.equal(pkg.license, 'Apache-2.0');
  const license = readFileSync(join(REPO, 'LICENSE'), 'utf8');
  t.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/, 'the Apache License 2.0');
  t.match(license, /END OF TERMS AND CONDITIONS/, 'in full');
  const copied = final.instructions
    .filter((i) => keyword(i) === 'COPY' && !copiedFrom(i))
    .flatMap((i) => i.getArguments().map((a) => a.getValue()));
  t.ok(copied.includes('LICENSE'), 'copied into the run-time image');
});
