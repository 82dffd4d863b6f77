import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

// The layers of src/, each importing only those below it:
//   server, cli → admission → policy → rules → images, cluster → kube, certs, metrics, src/*.ts
// A zone names a folder (`target`) and what it must not import (`from`).
const layer = (dir) => `./src/${dir}`;
const above = {
  admission: ['server', 'cli'],
  policy: ['admission', 'server', 'cli'],
  rules: ['policy', 'admission', 'server', 'cli'],
  images: ['cluster', 'rules', 'policy', 'admission', 'server', 'cli'],
  cluster: ['rules', 'policy', 'admission', 'server', 'cli'],
  kube: ['images', 'cluster', 'rules', 'policy', 'admission', 'server', 'cli', 'certs', 'metrics'],
  certs: ['kube', 'images', 'cluster', 'rules', 'policy', 'admission', 'server', 'cli', 'metrics'],
  metrics: ['kube', 'images', 'cluster', 'rules', 'policy', 'admission', 'cli', 'certs'],
};
const zones = Object.entries(above).flatMap(([target, forbidden]) =>
  forbidden.map((from) => ({
    target: layer(target),
    from: layer(from),
    message: `src/${target} sits below src/${from}: move what both need down (src/kube, src/json.ts) or the importing code up`,
  })),
);

// The shared files at the bottom read nothing above them (main.ts and config.ts sit at the top).
const FOLDERS = [
  'server',
  'cli',
  'admission',
  'policy',
  'rules',
  'images',
  'cluster',
  'kube',
  'certs',
  'metrics',
];
for (const file of ['json.ts', 'errors.ts', 'schema-errors.ts', 'version.ts', 'sliced-json.ts']) {
  zones.push({
    target: `./src/${file}`,
    from: FOLDERS.map(layer),
    message: `src/${file} is shared by every layer: it must not import from one`,
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tap/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Sources import each other as `./x.js`; the files are `x.ts`.
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
    },
  },
);
