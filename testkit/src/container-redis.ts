import { existsSync } from 'node:fs';

/** A Docker engine is worth trying only when one is advertised; probing blindly costs seconds. */
export function dockerEngineAdvertised(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

export interface ContainerRedis {
  host: string;
  port: number;
  kill(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** Redis in a container through testcontainers, loaded lazily so that machines without Docker never pay for it. */
export async function startContainerRedis(image: string, extraArgs: readonly string[]): Promise<ContainerRedis> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const { getContainerRuntimeClient } = await import('testcontainers');
  const started = await new RedisContainer(image).withCommand(['redis-server', '--save', '', '--appendonly', 'no', ...extraArgs]).start();
  const runtime = await getContainerRuntimeClient();
  const docker = runtime.container.getById(started.getId());
  return {
    host: started.getHost(),
    port: started.getPort(),
    kill: async () => {
      await docker.kill();
    },
    pause: async () => {
      await docker.pause();
    },
    resume: async () => {
      await docker.unpause();
    },
    restart: async () => {
      await started.restart();
      return { host: started.getHost(), port: started.getPort() };
    },
    stop: async () => {
      await started.stop();
    },
  };
}
