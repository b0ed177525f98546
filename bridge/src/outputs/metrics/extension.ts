import type { Registry } from 'prom-client';
import type { Caps } from '../../monitor/caps.js';
import type { Snapshot } from '../../monitor/monitor-service.js';
import type { MetricDefinition } from './names.js';

/** More metrics beside the bridge's own (Zenith compatibility, the OTLP receiver, history): registered with them, and families rendered per snapshot. */
export interface MetricsExtension {
  register(registry: Registry): void;
  renderers: readonly SnapshotFamilyRenderer[];
}

/** Families written straight from a snapshot, once per snapshot, in slices that give the event loop back. */
export interface SnapshotFamilyRenderer {
  /** The families it renders: left out together when its render fails. */
  readonly families: readonly MetricDefinition[];
  /** The families' text; what a cap leaves out is counted in `caps`. */
  render(snapshot: Snapshot, caps: Caps): Promise<Buffer[]>;
}
