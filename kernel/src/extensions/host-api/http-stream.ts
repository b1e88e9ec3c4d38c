import type { Readable } from 'node:stream';
import { z } from 'zod';
import { MifyError } from '../../errors.js';
import { defineHostMethod, type HostMethod } from './types.js';

/** Maximum number of streamed responses one invocation may have open at once. */
export const MAX_OPEN_HTTP_STREAMS = 8;

/** Maximum bytes one `http.read` returns. The rest stays buffered for the next read. */
export const MAX_HTTP_READ_BYTES = 1024 * 1024;

/** One piece of a streamed body, as `http.read` returns it. */
export interface HttpStreamChunk {
  /** Text since the previous read for text content types, or '' for other types. */
  text: string;
  /** Bytes since the previous read as base64, for other content types. */
  bodyBase64?: string;
  /** Flag set when the body has ended and the stream is closed. */
  done: boolean;
}

/** Response body and limits that `HttpStreams.open` needs to read one response. */
export interface OpenStream {
  /** Decoded body (after gzip, deflate or br). */
  source: Readable;
  /** Whether the content type is text, so chunks are decoded as `charset`. */
  text: boolean;
  charset: string;
  /** Response size limit after decoding, in bytes. */
  maxBytes: number;
  /** Signal that aborts when the fetch's time limit passes, so the stream fails with `timeout`. */
  signal: AbortSignal;
  /** Error raised for a body past `maxBytes`. */
  tooLarge: () => MifyError;
  /** Error raised when `signal` aborts. */
  timedOut: () => MifyError;
  /** Releases the connection and the fetch's timer. Called once, when the stream ends or is closed. */
  release: () => void;
}

interface StreamState {
  open: OpenStream;
  decoder: InstanceType<typeof TextDecoder> | null;
  buffered: Buffer[];
  bufferedBytes: number;
  totalBytes: number;
  ended: boolean;
  failure: MifyError | null;
  /** Callback that wakes a read waiting for data. */
  wake: (() => void) | null;
  reading: boolean;
}

/**
 * The streamed responses (`http.fetch` with `stream: true`) of one invocation, read with
 * `http.read`. Data is buffered as it arrives. The connection is paused while a full
 * read's worth waits, so a slow reader keeps at most about MAX_HTTP_READ_BYTES plus one
 * socket chunk in memory. `closeAll` runs when the invocation ends and closes the streams
 * that were not read to their end.
 */
export class HttpStreams {
  private readonly streams = new Map<string, StreamState>();
  private nextId = 1;

  /** Registers a response body and returns its stream id. */
  open(open: OpenStream): string {
    if (this.streams.size >= MAX_OPEN_HTTP_STREAMS) {
      open.source.destroy();
      open.release();
      throw new MifyError('rate_limited', 429, `This call already has ${MAX_OPEN_HTTP_STREAMS} streamed responses open; read them to their end with http.read before opening more.`, { maxOpenStreams: MAX_OPEN_HTTP_STREAMS });
    }

    const id = `stream_${this.nextId++}`;
    const state: StreamState = {
      open,
      decoder: open.text ? textDecoder(open.charset) : null,
      buffered: [],
      bufferedBytes: 0,
      totalBytes: 0,
      ended: false,
      failure: null,
      wake: null,
      reading: false,
    };
    this.streams.set(id, state);

    const wake = () => {
      state.wake?.();
      state.wake = null;
    };
    open.source.on('data', (chunk: Buffer) => {
      state.totalBytes += chunk.length;
      if (state.totalBytes > open.maxBytes) {
        fail(state, open.tooLarge());
        wake();
        return;
      }
      state.buffered.push(chunk);
      state.bufferedBytes += chunk.length;
      if (state.bufferedBytes >= MAX_HTTP_READ_BYTES) open.source.pause();
      wake();
    });
    open.source.once('end', () => {
      state.ended = true;
      wake();
    });
    open.source.once('error', (error: Error) => {
      fail(state, open.signal.aborted ? open.timedOut() : new MifyError('network_error', 502, `The streamed response broke off: ${(error as NodeJS.ErrnoException).code ?? error.message}. Try again.`, {}));
      wake();
    });
    open.signal.addEventListener('abort', () => {
      fail(state, open.timedOut());
      wake();
    }, { once: true });
    return id;
  }

  /** Waits until data, the end or a failure is there, and returns everything buffered. */
  async read(id: string): Promise<HttpStreamChunk> {
    const state = this.streams.get(id);
    if (!state) {
      throw new MifyError('not_found', 404, `http.read: there is no open stream '${id}' in this call. Pass the streamId of an http.fetch with stream: true made in the same call, and stop reading after a chunk with done: true.`, { streamId: id });
    }
    if (state.reading) throw new MifyError('invalid_argument', 422, `http.read: stream '${id}' is already being read; await each read before the next one.`, { streamId: id });

    state.reading = true;
    try {
      while (state.bufferedBytes === 0 && !state.ended && state.failure === null) {
        await new Promise<void>((resolve) => {
          state.wake = resolve;
        });
      }
    } finally {
      state.reading = false;
    }

    if (state.failure !== null) {
      this.close(id);
      throw state.failure;
    }

    const bytes = Buffer.concat(state.buffered);
    state.buffered = [];
    state.bufferedBytes = 0;
    state.open.source.resume();
    const done = state.ended;
    if (done) this.close(id);

    if (state.decoder === null) return { text: '', bodyBase64: bytes.toString('base64'), done };
    return { text: state.decoder.decode(bytes, { stream: !done }), done };
  }

  /** Closes every stream still open, releasing its connection. */
  closeAll(): void {
    for (const id of [...this.streams.keys()]) this.close(id);
  }

  private close(id: string): void {
    const state = this.streams.get(id);
    if (!state) return;
    this.streams.delete(id);
    if (!state.ended) state.open.source.destroy();
    state.open.release();
  }
}

function fail(state: StreamState, error: MifyError): void {
  if (state.failure !== null || state.ended) return;
  state.failure = error;
  state.open.source.destroy();
}

function textDecoder(charset: string): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(charset);
  } catch {
    return new TextDecoder('utf-8');
  }
}

/** `http.read(streamId)`: the next piece of a streamed `http.fetch` response of the same call. */
export const httpStreamMethods: HostMethod[] = [
  defineHostMethod({
    name: 'http.read',
    // The fetch that opened the stream was checked already. Streams are per invocation, so no other caller can read them.

    permission: null,
    parameters: { streamId: z.string().min(1).max(100) },
    target: ({ streamId }) => streamId,
    run: ({ streamId }, scope) => scope.streams.read(streamId),
  }),
];
