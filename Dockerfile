# syntax=docker/dockerfile:1
# One image for every deskprint process (broker, ingest, api, start, simulate); the compose
# service picks the command. Sources are TypeScript run through tsx (bin/deskprint.js), so
# the only build step is the dashboard bundle.

# --- dependencies (with the toolchain better-sqlite3 needs when no prebuilt binary fits)
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- build the dashboard, then drop dev dependencies and what the runtime never reads
FROM deps AS build
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf tests bench .ci docker

# --- runtime
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    DESKPRINT_DATA_DIR=/data \
    DESKPRINT_BUILD_DASHBOARD=false
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The image's unprivileged `node` user (uid 1000) owns only the data volume.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 1883 8080
ENTRYPOINT ["node", "bin/deskprint.js"]
CMD ["start"]
