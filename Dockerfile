# syntax=docker/dockerfile:1
# One image for the whole estate: each of the seven services (and the setup, seed and load-generator
# one-shots) is the same image started with a different entry point, as infra/local/services.sh
# starts them:
#
#   docker build -t ordersaga:dev .
#   docker run --rm ordersaga:dev gateway/main.ts             # or workers/order/main.ts, …
#   docker run --rm --entrypoint node ordersaga:dev --import tsx infra/programs/setup/setup.ts
#
# Debian (glibc), not Alpine: @temporalio/core-bridge ships glibc binaries only. See docs/containers.md.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- 1. production dependencies (tsx is one of them: the services run TypeScript directly) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- 1b. the web console (console/, docs/console.md): built with Vite, a dev dependency, in a stage
# of its own so the runtime keeps production packages only; the build fails over its size budget ----
FROM ${NODE_IMAGE} AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY platform/contracts ./platform/contracts
COPY console ./console
RUN npm run console:build

# ---- 2. the application source, and the prebuilt workflow bundle made from it ----
FROM deps AS build
COPY tsconfig.json ./
COPY platform ./platform
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY gateway ./gateway
COPY payment-sim ./payment-sim
COPY consumers ./consumers
COPY loadgen ./loadgen
COPY infra/programs/setup ./infra/programs/setup
# the estate's one list, which setup reads (infra/estate.ts)
COPY infra/estate.json infra/estate.ts ./infra/
# `npm run bundle` builds dist/workflow-bundle.js and dist/shipment-workflow-bundle.js with the tracing
# plugin's workflow interceptors inside (workers/order/bundle.ts), so the order and fulfillment workers
# start in about a second and their workflow spans keep flowing. Tests never ship in the image.
RUN npm run bundle \
 && find . -path ./node_modules -prune -o -name '*.test.ts' -print -delete

# ---- 3. runtime: node, production node_modules, the source and the bundle; nothing else ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/platform ./platform
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/activities ./activities
COPY --from=build /app/workers ./workers
COPY --from=build /app/gateway ./gateway
COPY --from=build /app/payment-sim ./payment-sim
COPY --from=build /app/consumers ./consumers
COPY --from=build /app/loadgen ./loadgen
COPY --from=build /app/infra/programs/setup ./infra/programs/setup
COPY --from=build /app/infra/estate.json /app/infra/estate.ts ./infra/
COPY --from=build /app/dist ./dist
# the console the gateway serves at / (only its built files)
COPY --from=console /app/console/dist ./console/dist

# The base image's `node` user, by number, so Kubernetes can check runAsNonRoot. Files stay
# root-owned and read-only to it; tsx keeps its compile cache in /tmp (an emptyDir under a
# read-only root filesystem in Kubernetes).
USER 1000:1000

# gateway 8080, order 8081, inventory 8082, fulfillment 8084, analytics 8085, notification 8086,
# payment-sim 9090 (HTTP) and 9091 (TCP telegrams)
EXPOSE 8080 8081 8082 8084 8085 8086 9090 9091

# GET /health on this service's HTTP port. Which service this container is comes from
# OTEL_SERVICE_NAME (set by compose and the Kubernetes manifests); the port from the same
# configuration module the service reads. A container that is none of the seven (the setup job)
# counts as healthy. Compose overrides this with a lighter per-service check; Kubernetes uses probes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["node", "--import", "tsx", "--input-type=module", "-e", "const { config } = await import('/app/platform/config.ts'); const c = config(); const port = { gateway: c.GATEWAY_PORT, order: c.ORDER_PORT, inventory: c.INVENTORY_PORT, fulfillment: c.FULFILLMENT_PORT, analytics: c.ANALYTICS_PORT, notification: c.NOTIFICATION_PORT, 'payment-sim': c.PAYMENT_SIM_HTTP_PORT }[process.env.OTEL_SERVICE_NAME ?? '']; if (port === undefined) process.exit(0); const answer = await fetch('http://127.0.0.1:' + port + '/health', { signal: AbortSignal.timeout(4000) }).catch(() => undefined); process.exit(answer?.ok ? 0 : 1);"]

# The same command line as infra/local/services.sh; the container's command names the entry point.
ENTRYPOINT ["node", "--enable-source-maps", "--import", "tsx", "--import", "/app/platform/telemetry/preload.mjs"]
CMD ["gateway/main.ts"]
