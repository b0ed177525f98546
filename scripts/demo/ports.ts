/**
 * The demo's default ports. A port that the Docker stack (docker-compose.yml) also publishes belongs to the same
 * service there, so that a port in the printed URLs means one thing either way: 3000 is Grafana's, so the example
 * app is on 8080.
 */
export const DEMO_PORTS = { bridge: 9464, app: 8080, prometheus: 9090 } as const;
