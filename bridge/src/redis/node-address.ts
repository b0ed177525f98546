import type { Redis } from 'ioredis';

/** A node's `host:port`: how a cluster client names it in its slot map, and how the bridge keys what it keeps per node. */
export const nodeAddress = (node: Redis): string => `${node.options.host}:${node.options.port}`;
