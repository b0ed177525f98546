import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { DecodeTally, OTLP_LIMITS } from './limits.js';

/**
 * opentelemetry-proto's `.proto` files, as the pinned `@opentelemetry/otlp-grpc-exporter-base@0.38.0` ships them
 * (`build/protos`), compiled by protobufjs when the receiver starts. Nothing of them is copied into this repository.
 * Their version predates `partial_success`; the two response messages get it here, with the field numbers of
 * opentelemetry-proto 1.x, and `google.rpc.Status` (OTLP/HTTP's error body) is declared the same way.
 */
const PROTOS_PACKAGE = '@opentelemetry/otlp-grpc-exporter-base/package.json';
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

function addPartialSuccess(root: protobuf.Root, response: string, rejectedField: string): protobuf.Type {
  const type = root.lookupType(response);
  const partial = new protobuf.Type(`${type.name}PartialSuccess`)
    .add(new protobuf.Field(rejectedField, 1, 'int64'))
    .add(new protobuf.Field('errorMessage', 2, 'string'));
  type.parent?.add(partial);
  // protobufjs names the fields it parses in lowerCamelCase; these follow suit (the wire knows only the numbers).
  type.add(new protobuf.Field('partialSuccess', 1, partial.name));
  return type;
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
  const base = join(dirname(createRequire(import.meta.url).resolve(PROTOS_PACKAGE)), 'build', 'protos');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(base, target);
  root.loadSync(SERVICE_FILES);
  const metricsResponse = addPartialSuccess(
    root,
    'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
    'rejectedDataPoints',
  );
  const tracesResponse = addPartialSuccess(root, 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', 'rejectedSpans');
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
    metricsResponse,
    tracesResponse,
    status,
    countInto(next) {
      tally = next;
      depth = 0;
    },
  };
}
