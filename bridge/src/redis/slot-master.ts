import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';

/**
 * The address (`host:port`) of the master serving `key`'s slot, as the cluster client last mapped the slots;
 * undefined until the map loads. A slot that moved since answers `MOVED` there.
 */
export function slotMasterAddress(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[calculateSlot(key)]?.[0];
}
