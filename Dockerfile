# syntax=docker/dockerfile:1
# The kube-hygiene image, for linux/amd64 and linux/arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/kube-hygiene/kube-hygiene:0.1.0 .
# (docs/install.md, "Building the image", has the whole sequence.)
# Three stages: TypeScript → dist/ (on the builder's own platform: the JavaScript is the same for
# every architecture), production dependencies (on the target platform, in case one ever ships
# native code), and the run-time image: Node, dist/, policies/, production node_modules. Base
# images are pinned to a Node release and registry-qualified: they pass kube-hygiene's own rules.
# Node.js 24, the LTS line (supported to April 2028; 20 reached its end of life on 2026-04-30),
# on Debian 13: package.json's engines and `npm run test:lts` follow the same line.

FROM --platform=$BUILDPLATFORM docker.io/library/node:24.21.0-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM docker.io/library/node:24.21.0-trixie-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM docker.io/library/node:24.21.0-trixie-slim
# Nothing at run time needs a shell or a package manager, so neither is left for an intruder:
# this exec-form RUN is the last command that could use one.
RUN ["/bin/rm", "-rf", "/bin/sh", "/bin/bash", "/bin/dash", "/bin/rbash", "/usr/local/lib/node_modules", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/corepack", "/usr/local/bin/yarn", "/usr/local/bin/yarnpkg"]
WORKDIR /app
ENV NODE_ENV=production
COPY package.json LICENSE ./
COPY policies ./policies
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The image's node user, by number: runAsNonRoot can only verify a numeric user.
USER 1000:1000
EXPOSE 8443 9090
# A young generation of at most 16 MB (Node.js 20's default): Node.js 24's larger default held
# 226 MB of RSS at saturation where this holds 141 MB, at the same CPU per request
# (docs/performance.md). The benchmarks start every server with these flags.
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=16", "/app/dist/cli/main.js"]
CMD ["serve"]
