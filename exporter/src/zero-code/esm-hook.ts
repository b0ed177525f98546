import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

interface HookChannel {
  registerOptions: { data?: unknown; transferList?: unknown[] };
  waitForAllMessagesAcknowledged(): Promise<void>;
}

/**
 * Registers OpenTelemetry's ESM loader hook (import-in-the-middle), so that instrumentations can
 * patch ES modules such as an `import express from 'express'` app: without it, Express loads
 * unpatched and requests have no route and record no exceptions.
 *
 * The hook wraps only the modules an instrumentation asked for (the message channel), not every
 * module of the app. import-in-the-middle is resolved from `@opentelemetry/instrumentation`, so the
 * loader and the instrumentations' `Hook`s are the same copy. Returns the promise to await before
 * the app's modules load: the loader thread has then seen every instrumented module name.
 */
export function registerEsmHook(): { ready(): Promise<void> } {
  const fromInstrumentation = createRequire(createRequire(import.meta.url).resolve('@opentelemetry/instrumentation'));
  const iitm = fromInstrumentation('import-in-the-middle') as { createAddHookMessageChannel(): HookChannel };
  const channel = iitm.createAddHookMessageChannel();
  const hookUrl = fromInstrumentation.resolve('import-in-the-middle/hook.mjs');
  register(pathToFileURL(hookUrl).href, { parentURL: import.meta.url, ...channel.registerOptions } as Parameters<typeof register>[1]);
  return { ready: () => channel.waitForAllMessagesAcknowledged() };
}
