# The example express app with OpenTelemetry and Pulse, and its traffic generator. Build context: the repository root.
#   docker build -f docker/example-app.Dockerfile -t gravito/pulse-example-app .
# The build and start commands are the ones CI runs natively
# (npm ci, npm run build, node --import tsx exporter/examples/express-app/server.ts).
FROM node:20.19.5-bookworm-slim
WORKDIR /app

COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY testkit/package.json testkit/
COPY exporter/package.json exporter/
COPY bridge/package.json bridge/
COPY grafana/package.json grafana/
# tsx (a dev dependency) runs the example's TypeScript, exactly as it runs natively.
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.base.json ./
COPY protocol protocol
COPY testkit testkit
COPY exporter exporter
COPY bridge bridge
COPY grafana grafana
RUN npm run build

ENV PORT=3000
EXPOSE 3000
USER node
# The app listens on 127.0.0.1 only: the traffic generator shares this container's network (see docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "exporter/examples/express-app/server.ts"]
