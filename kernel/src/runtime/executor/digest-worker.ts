/**
 * Worker thread of `DigestThread`: computes the items digest of each items text it receives,
 * in the order received. A request is `{ id, json }`; the reply is `{ id, digest }`, or
 * `{ id, error }` when the text is not JSON.
 */
import { parentPort } from 'node:worker_threads';
import { itemsJsonDigest } from './items-digest.js';
import type { DigestReply, DigestRequest } from './digest-thread.js';

const port = parentPort!;

port.on('message', ({ id, json }: DigestRequest) => {
  let reply: DigestReply;
  try {
    reply = { id, digest: itemsJsonDigest(json) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
