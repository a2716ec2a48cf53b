// Reads a response body as a stream and keeps at most `cap` decoded bytes:
// past the cap it stops reading and destroys the stream, which closes the
// connection, so a server streaming gigabytes costs no more memory than the
// cap. gzip, deflate and br bodies are decoded for display and rules; the
// cap counts decoded bytes, so a small compressed bomb is stopped too.

import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createBrotliDecompress,
  createGunzip,
  createInflate,
} from 'node:zlib';

export interface BodyRead {
  /** The decoded body, at most `cap` bytes. */
  data: Buffer;
  /** Decoded bytes seen, including any past the cap. */
  decodedBytes: number;
  /** Bytes received on the wire (before decoding). */
  wireBytes: number;
  complete: boolean;
  tooLarge: boolean;
  /** Why the body is shown as received, e.g. an encoding not decoded. */
  note?: string;
}

/** A failure mid-body, carrying what had arrived for the trace. */
export class BodyError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly partial: BodyRead,
  ) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'BodyError';
  }
}

const STOP = new Error('body cap reached');

export async function readBody(
  stream: Readable,
  contentEncoding: string | undefined,
  cap: number,
): Promise<BodyRead> {
  const { decoders, note } = decodersFor(contentEncoding);
  const state = { chunks: [] as Buffer[], kept: 0, decoded: 0, wire: 0 };
  const partial = (complete: boolean, tooLarge: boolean): BodyRead => ({
    data: Buffer.concat(state.chunks),
    decodedBytes: state.decoded,
    wireBytes: state.wire,
    complete,
    tooLarge,
    note,
  });

  const take = (chunk: Buffer) => {
    state.decoded += chunk.length;
    if (state.kept < cap) {
      const part = chunk.subarray(0, cap - state.kept);
      state.chunks.push(part);
      state.kept += part.length;
    }
    if (state.decoded > cap) throw STOP;
  };
  const countWire = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      state.wire += chunk.length;
      yield chunk;
    }
  };
  const keep = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) take(chunk);
  };

  try {
    if (decoders.length === 0) {
      // Nothing to decode: read directly. Leaving the loop early destroys
      // the stream as pipeline would, and pipeline's own bookkeeping (an
      // AbortController aborted with an error on every finish) outweighs a
      // small body.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        state.wire += chunk.length;
        take(chunk);
      }
    } else {
      await (pipeline as PipelineAny)(stream, countWire, ...decoders, keep);
    }
  } catch (error) {
    if (error === STOP) return partial(false, true);
    throw new BodyError(error, partial(false, false));
  }
  return partial(true, false);
}

// pipeline's overloads cannot type a spread of transforms in the middle.
type PipelineAny = (...streams: unknown[]) => Promise<void>;

function decodersFor(header: string | undefined): {
  decoders: Transform[];
  note?: string;
} {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  const decoders: Transform[] = [];
  // Codings are listed in the order they were applied: undo them backwards.
  for (const coding of codings.reverse()) {
    const decoder = decoderFor(coding);
    if (!decoder) {
      return { decoders: [], note: `content-encoding '${header}' not decoded` };
    }
    decoders.push(decoder);
  }
  return { decoders };
}

function decoderFor(coding: string): Transform | undefined {
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip();
  if (coding === 'deflate') return createInflate();
  if (coding === 'br') return createBrotliDecompress();
  return undefined;
}
