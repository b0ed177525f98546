# The Pulse bridge. Build context: the repository root.
#   docker build -f docker/bridge.Dockerfile -t gravito/pulse-bridge .
# The build and start commands are the ones CI runs natively (npm ci, npm run build, node bridge/dist/cli.js).
FROM node:20.19.5-bookworm-slim
WORKDIR /app

# Manifests first: the npm ci layer is reused until a dependency changes.
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY testkit/package.json testkit/
COPY exporter/package.json exporter/
COPY bridge/package.json bridge/
COPY grafana/package.json grafana/
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.base.json ./
COPY protocol protocol
COPY testkit testkit
COPY exporter exporter
COPY bridge bridge
COPY grafana grafana
RUN npm run build

# Listen on every interface inside the container (the bridge's default is 127.0.0.1).
ENV PULSE_BRIDGE_HOST=0.0.0.0 \
    PULSE_BRIDGE_PORT=9464
EXPOSE 9464
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PULSE_BRIDGE_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bridge/dist/cli.js"]
