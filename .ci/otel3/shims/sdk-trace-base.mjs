// OpenTelemetry 3.x merged sdk-trace-base into @opentelemetry/sdk-trace, renamed BasicTracerProvider to
// TracerProvider, and made the span processors take an options object ({ exporter }) instead of the exporter.
// The tests are written for the 2.x line; this maps those names and signatures onto 3.x, nothing more: the
// exporter itself only imports types from sdk-trace-base.
import { SimpleSpanProcessor as SimpleSpanProcessor3 } from '@opentelemetry/sdk-trace';

export * from '@opentelemetry/sdk-trace';
export { TracerProvider as BasicTracerProvider } from '@opentelemetry/sdk-trace';

export class SimpleSpanProcessor extends SimpleSpanProcessor3 {
  constructor(exporterOrOptions) {
    super(typeof exporterOrOptions?.export === 'function' ? { exporter: exporterOrOptions } : exporterOrOptions);
  }
}
