import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { KernelServices } from '../container.js';
import { requestLog, type AppEnv } from './request-context.js';

/** A route's request to answer with Server-Sent Events of a run (the SDK's RouteStreamDirective). */
export interface StreamDirective {
  runId: string;
  format?: string;
  context?: unknown;
  initialFrames?: StreamFrame[];
}

interface StreamFrame {
  event?: string;
  id?: string;
  data: unknown;
}

/** Interval of the comment lines that keep an idle stream open through proxies, in milliseconds. */
const HEARTBEAT_MS = 15_000;

async function writeFrame(stream: SSEStreamingApi, frame: StreamFrame): Promise<void> {
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data ?? null);
  await stream.writeSSE({ data, ...(frame.event ? { event: frame.event } : {}), ...(frame.id ? { id: frame.id } : {}) });
}

function isFrameList(value: unknown): value is StreamFrame[] {
  return Array.isArray(value) && value.every((frame) => typeof frame === 'object' && frame !== null && 'data' in frame);
}

/**
 * Answers a route with Server-Sent Events of a run: its stored events, then live ones, until
 * `run.finished`. With a `format`, the extension's `stream` hook turns each event into the
 * frames of its protocol; a failing hook ends the stream with an `error` event.
 */
export async function streamRunResponse(
  c: Context<AppEnv>,
  services: KernelServices,
  input: { extensionId: string; workspaceId: string; directive: StreamDirective; headers: Headers },
): Promise<Response> {
  const { directive, extensionId, workspaceId } = input;
  const controller = new AbortController();
  const events = await services.runService.events(workspaceId, directive.runId, 0, controller.signal);
  for (const [name, value] of input.headers) c.header(name, value);
  const log = requestLog(c);

  return streamSSE(c, async (stream) => {
    stream.onAbort(() => controller.abort());
    const heartbeat = setInterval(() => {
      stream.write(': heartbeat\n\n').catch(() => controller.abort());
    }, HEARTBEAT_MS);
    let state: unknown = null;
    try {
      for (const frame of directive.initialFrames ?? []) await writeFrame(stream, frame);
      if (events === null) return;

      for await (const event of events) {
        if (!directive.format) {
          await writeFrame(stream, { id: String(event.id), event: event.type, data: event.data });
          continue;
        }
        const output = (await services.extensionHost.invoke(extensionId, { kind: 'hook', name: 'stream', input: { format: directive.format, event, context: directive.context ?? null, state } }, { workspaceId })) as { frames?: unknown; state?: unknown; end?: boolean } | undefined;
        if (!isFrameList(output?.frames)) throw new Error(`the stream hook returned no frames list for event ${event.type}`);
        for (const frame of output.frames) await writeFrame(stream, frame);
        state = output.state ?? state;
        if (output.end) break;
      }
    } catch (error) {
      log.warn({ err: error, extensionId, runId: directive.runId }, 'run event stream failed');
      await writeFrame(stream, { event: 'error', data: { code: 'stream_failed', detail: `The event stream of run ${directive.runId} failed: ${(error as Error).message}` } }).catch(() => {});
    } finally {
      clearInterval(heartbeat);
      controller.abort();
    }
  });
}
