# syntax=docker/dockerfile:1
# One image with every entry point of qingcloud-k8s, on PATH as the charts call them:
#   qingcloud-csi   the CSI driver (dist/bundle/qingcloud-csi.mjs, V8 tuned for a small heap)
#   hostnic-daemon  the hostnic node daemon (dist/bundle/hostnic-daemon.mjs, V8 tuned for a small heap)
#   hostnic         the CNI plugin as a single executable; the hostnic chart copies it to the host's /opt/cni/bin
#   qingcloud-sim   the QingCloud API simulator
# Build:  docker build --build-arg NODE_VERSION=20 --build-arg BASE=bookworm-slim -t qingcloud/qingcloud-k8s:0.1.0 .
# The image's default user is non-root (1000). The node plugins (CSI node, hostnic-daemon) format, mount and move
# NICs, so their charts run them as root and privileged through the pod securityContext; the CSI controller and the
# simulator keep the non-root user.
ARG NODE_VERSION=20
ARG BASE=bookworm-slim

# Build stage: dev dependencies, tsc, the esbuild bundles and the hostnic single executable.
FROM node:${NODE_VERSION}-${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied, and no dependency's install script is needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/ scripts/
COPY proto/ proto/
COPY src/ src/
RUN npm run build \
 && node scripts/build-cni-sea.mjs --out /src/out/hostnic \
 && find dist -name '*.map' -delete

# Production dependencies only: what the unbundled entry points (hostnic-daemon, qingcloud-sim) import at run time.
FROM node:${NODE_VERSION}-${BASE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:${NODE_VERSION}-${BASE}
# Host tools the node plugins exec: mkfs.ext4/resize2fs (e2fsprogs), mkfs.xfs/xfs_growfs (xfsprogs), blkid, findmnt,
# blockdev and nsenter (util-linux), mount/umount/losetup (mount), ip (iproute2), iptables. npm, yarn and corepack
# are removed: nothing installs packages at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends e2fsprogs xfsprogs util-linux mount iproute2 iptables \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx \
      /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The driver finds proto/ next to package.json (the package root).
COPY --from=build /src/proto ./proto
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/out/hostnic /usr/local/bin/hostnic
RUN printf '#!/bin/sh\nexec node --max-semi-space-size=1 --optimize-for-size --jitless --no-expose-wasm --expose-gc /app/dist/bundle/qingcloud-csi.mjs "$@"\n' > /usr/local/bin/qingcloud-csi \
 && printf '#!/bin/sh\nexec node --max-semi-space-size=1 --optimize-for-size --no-opt --no-wasm-tier-up --single-threaded-gc /app/dist/bundle/hostnic-daemon.mjs "$@"\n' > /usr/local/bin/hostnic-daemon \
 && printf '#!/bin/sh\nexec node /app/dist/qingcloud/sim/main.js "$@"\n' > /usr/local/bin/qingcloud-sim \
 && chmod 0755 /usr/local/bin/qingcloud-csi /usr/local/bin/hostnic-daemon /usr/local/bin/qingcloud-sim
USER 1000:1000
CMD ["qingcloud-csi", "--help"]
