# syntax=docker/dockerfile:1
# Kinoservice: one image for every shape. `kino start` (all-in-one, the default command),
# `kino serve <modules>`, `kino worker <names>` and `kino migrate` all run from it.
# Base: Node.js 24 LTS, the recommended line in package.json `engines`, on Debian 13 (trixie),
# the current Debian stable with full security support; slim, because the native addons are
# prebuilt N-API binaries that need only glibc. test/deploy/node-versions.test.ts keeps this tag,
# the engines field and the README in step.

# ---- build: install everything, compile, then drop the dev dependencies ----
# The runtime has Debian's ffmpeg, so the npm packages' static fallback builds (ADR 0100) are dropped.
FROM node:24-trixie-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# The whole context at once: npm workspaces (web/) need their package.json files for `npm ci`.
COPY . .
# Install scripts are skipped (the prepare script would build before we ask); the build runs next.
RUN npm ci --ignore-scripts
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf src test bench docs deploy web/src web/node_modules coverage \
 && rm -rf node_modules/@ffmpeg-installer node_modules/@ffprobe-installer \
 && chmod 0755 bin/kino.js

# ---- runtime: production dependencies and the build, run as an unprivileged user ----
FROM node:24-trixie-slim AS runtime
# Metrics on their own port, reachable from the container network (a scraper beside it) but
# never published by the compose files; the API port does not serve them.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9464 \
    KINO_DATA_DIR=/data \
    TRUST_PROXY=on
WORKDIR /app
# ffmpeg and ffprobe package and transcode video (ADR 0100); the engine finds them on PATH.
# Unpinned on purpose: Debian stable's security updates are what the image should pick up.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=root:root /app /app
RUN ln -s /app/bin/kino.js /usr/local/bin/kino \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080 9464
# Every process (servers and workers) answers /health on PORT.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["kino"]
CMD ["start"]
