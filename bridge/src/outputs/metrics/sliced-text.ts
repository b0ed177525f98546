import { yieldToLoop } from '../../lib/loop-slice.js';
import { familyHead, sampleLines } from './exposition.js';
import { PULSE_METRICS, type PulseMetricKey } from './names.js';

/**
 * Characters of samples written between two turns of the event loop. The work of a slice is in its text: writing
 * a sample is cheap (V8 joins strings lazily), and the cost comes when the slice is joined and encoded, in
 * proportion to its characters. Measured with bench/bridge-scrape.ts (docs/benchmarks.md, "Scrape").
 */
export const SLICE_CHARS = 256 * 1024;

/** One family being written: its name, the samples of the slice, its encoded pieces (head first). */
interface Family {
  samples: string[];
  pieces: Buffer[];
  name: string;
}

/**
 * The samples of several families, written in slices: once a slice holds `SLICE_CHARS` characters (or its share
 * of walking that writes nothing, see `walked`), it is joined and encoded, family by family, and the caller
 * gives the loop a turn before the next one. Encoding as it goes also keeps the young generation small: 200,000
 * sample strings held to the end of a render outlived it, and copying them out made the longest pauses.
 */
export class SlicedText<K extends PulseMetricKey> {
  private readonly families = new Map<K, Family>();
  /** Bytes of sample lines encoded so far, and characters of those not yet encoded. */
  private encodedBytes = 0;
  private unencoded = 0;
  /** The slice's work so far: its characters, and its walking (`walked`). */
  private work = 0;

  /** `families` in the order they are written out; names and help come from the contract (names.ts). */
  constructor(families: readonly K[]) {
    for (const key of families) {
      const { name } = PULSE_METRICS[key];
      this.families.set(key, { samples: [], pieces: [Buffer.from(familyHead(PULSE_METRICS[key]))], name });
    }
  }

  /** One sample of the family `key`: `{labels} value`, without the name. */
  put(key: K, sample: string): void {
    const family = this.families.get(key) as Family;
    family.samples.push(sample);
    // The line as it will be written: name, sample, line feed.
    const chars = family.name.length + sample.length + 1;
    this.unencoded += chars;
    this.work += chars;
  }

  /** What the sample lines take so far: bytes once encoded, characters until then (the same for ASCII text). */
  get written(): number {
    return this.encodedBytes + this.unencoded;
  }

  /** Work that writes nothing (things walked past), counted as this many characters' worth. */
  walked(chars: number): void {
    this.work += chars;
  }

  /** The slice has its share of work: the caller awaits `nextSlice()` at its next stopping point. */
  get sliceFull(): boolean {
    return this.work >= SLICE_CHARS;
  }

  /** Encodes the slice, then gives the event loop a turn. */
  async nextSlice(): Promise<void> {
    this.encode();
    await yieldToLoop();
  }

  /** Every family, head and samples, in order; encodes what is left first. */
  finish(): Buffer[] {
    this.encode();
    return [...this.families.values()].flatMap((family) => family.pieces);
  }

  private encode(): void {
    for (const family of this.families.values()) {
      if (family.samples.length === 0) continue;
      const piece = Buffer.from(sampleLines(family.name, family.samples));
      this.encodedBytes += piece.length;
      family.pieces.push(piece);
      family.samples.length = 0;
    }
    this.unencoded = 0;
    this.work = 0;
  }
}
