// Name patterns, thresholds and ignore lists are the protocol's (one copy for every reader of spans: this exporter and
// the bridge's OTLP receiver).
export { compilePattern, NameFilter, type NamePattern, ThresholdMatcher } from '@gravito/pulse-protocol';
