import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import { OTLP_LIMITS, OtlpRefusal } from './limits.js';

const tooLarge = () =>
  new OtlpRefusal(413, 'refused_body_bytes', `the request body is over ${OTLP_LIMITS.bodyBytes} bytes (after decompression)`);

/**
 * The request body, decompressed when `Content-Encoding: gzip`, at most `OTLP_LIMITS.bodyBytes` bytes after
 * decompression: the stream is inflated chunk by chunk and abandoned at the cap, so a gzip bomb costs at most the cap
 * in memory and never its full size. A `Content-Length` over the cap is refused before a byte is read.
 */
export async function readBody(req: IncomingMessage, maxBytes: number = OTLP_LIMITS.bodyBytes): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new OtlpRefusal(
      415,
      'refused_media_type',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 32))} is not supported (gzip or none)`,
    );
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const source = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (err) {
    if (source !== req) (source as NodeJS.ReadableStream & { destroy(): void }).destroy();
    if (err instanceof OtlpRefusal) throw err;
    throw new OtlpRefusal(400, 'refused_not_otlp', `the body could not be read: ${(err as Error).message.slice(0, 200)}`);
  }
  return Buffer.concat(chunks, total);
}
