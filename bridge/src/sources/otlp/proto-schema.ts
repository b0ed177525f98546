import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { DecodeTally, OTLP_LIMITS } from './limits.js';

/**
 * opentelemetry-proto's official `.proto` files at a tagged release, vendored unchanged in `bridge/proto/` with their
 * LICENSE (`PROVENANCE.json` says the tag, its commit and each file's git blob id; `proto/vendor.mjs` moves to another
 * tag), compiled by protobufjs when the receiver starts. The same depth from `src/` and `dist/`.
 * `google.rpc.Status` (OTLP/HTTP's error body), which opentelemetry-proto does not carry, is declared here.
 */
const PROTOS_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));
const SERVICE_FILES = [
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
];

export interface OtlpSchema {
  metricsRequest: protobuf.Type;
  tracesRequest: protobuf.Type;
  metricsResponse: protobuf.Type;
  tracesResponse: protobuf.Type;
  status: protobuf.Type;
  /** Counts what the next decodes read against `tally` (one request at a time: decoding is synchronous). */
  countInto(tally: DecodeTally | undefined): void;
}

/**
 * Wraps a type's decoder (protobufjs calls a nested type's `decode` through the type object, so the wrapper sees every
 * nested message) so that counting happens while decoding: a request with 100,000 attributes is refused at the
 * 65,537th, before the rest is built in memory.
 */
function wrapDecode(type: protobuf.Type, before: () => void, after?: () => void): void {
  type.setup();
  const decode = type.decode.bind(type);
  type.decode = ((reader: protobuf.Reader | Uint8Array, length?: number) => {
    before();
    try {
      return decode(reader, length);
    } finally {
      after?.();
    }
  }) as typeof type.decode;
}

export function loadOtlpSchema(): OtlpSchema {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTOS_DIR, target);
  root.loadSync(SERVICE_FILES);
  const status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
  root.define('google.rpc').add(status);
  root.resolveAll();

  let tally: DecodeTally | undefined;
  const t = (name: string) => root.lookupType(name);
  wrapDecode(t('opentelemetry.proto.common.v1.KeyValue'), () => tally?.attribute());
  let depth = 0;
  wrapDecode(
    t('opentelemetry.proto.common.v1.AnyValue'),
    () => {
      if (++depth > OTLP_LIMITS.valueDepth) (tally ?? new DecodeTally()).tooDeep();
    },
    () => {
      depth = Math.max(0, depth - 1);
    },
  );
  wrapDecode(t('opentelemetry.proto.trace.v1.Span'), () => tally?.span());
  for (const point of ['NumberDataPoint', 'HistogramDataPoint', 'ExponentialHistogramDataPoint', 'SummaryDataPoint']) {
    wrapDecode(t(`opentelemetry.proto.metrics.v1.${point}`), () => tally?.point());
  }
  return {
    metricsRequest: t('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
    tracesRequest: t('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    metricsResponse: t('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
    tracesResponse: t('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    status,
    countInto(next) {
      tally = next;
      depth = 0;
    },
  };
}
