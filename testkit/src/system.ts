import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** `path` when it names an executable file, else `undefined`. */
export function executable(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

/** Finds an executable on PATH without spawning a shell. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const found = dir ? executable(join(dir, name)) : undefined;
    if (found) return found;
  }
  return undefined;
}

/**
 * A free TCP port on 127.0.0.1, at most `maxPort` (a Redis Cluster node also needs port + 10000 for its bus).
 * It can be taken again before it is bound: callers bind soon after, and retry.
 */
export async function freePort(maxPort = 65_535): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
      });
    });
    if (port <= maxPort) return port;
  }
}
