// OpenTelemetry 3.x dropped sdk-trace-node: NodeTracerProvider.register() is, in 3.x, a TracerProvider plus an
// AsyncLocalStorage context manager set by hand (what the 2.x register() did, as @opentelemetry/sdk-trace's README shows).
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';

export class NodeTracerProvider extends TracerProvider {
  register() {
    trace.setGlobalTracerProvider(this);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
}
