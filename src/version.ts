// The release this build is: package.json's version, read once. One source for
// `kube-hygiene --version`, /readyz and the kube_hygiene_build_info metric. package.json sits
// one level above both src/ (tsx) and dist/ (the build, the image's /app, the npm package).
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const VERSION: string = manifest.version;
