# syntax=docker/dockerfile:1
# MIFY kernel image. One image serves both roles:
#   node --no-node-snapshot kernel/bin/mify.js start    API, studio and embedded runner (default)
#   node --no-node-snapshot kernel/bin/mify.js worker   Temporal worker
# --no-node-snapshot is required by isolated-vm, which runs extension code.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compiles isolated-vm, installs dependencies, builds every package ----
FROM ${NODE_IMAGE} AS build

# isolated-vm's install script tries a prebuilt binary (prebuild-install) and
# otherwise compiles itself with node-gyp, which needs these tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# The repository's .npmrc points node-gyp at nodedir=/usr, where Debian's nodejs
# package keeps its headers. This image keeps them under /usr/local instead.
RUN test -f /usr/local/include/node/common.gypi \
 && ln -s /usr/local/include/node /usr/include/node

RUN npm install -g --no-audit --no-fund pnpm@10.34.9

ENV CI=true
WORKDIR /app

# `pnpm fetch` reads only the lockfile, so the download layer stays cached until
# pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
RUN pnpm fetch

COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm run build

# ---- runtime: the built workspace without compilers ----
FROM ${NODE_IMAGE} AS runtime

ENV NODE_ENV=production \
    MIFY_HOST=0.0.0.0 \
    MIFY_PORT=3000 \
    MIFY_DATA_DIR=/var/lib/mify

WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /var/lib/mify && chown node:node /var/lib/mify

USER node
EXPOSE 3000
VOLUME ["/var/lib/mify"]

# No HEALTHCHECK here: the worker role serves no HTTP. docker-compose.yml sets
# one for the kernel service.
CMD ["node", "--no-node-snapshot", "kernel/bin/mify.js", "start"]
