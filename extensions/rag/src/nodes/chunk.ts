/** The chunk node: one item per chunk of each document item. */
import type { Item, NodeContext } from '@mify/sdk';
import { CHUNK_STRATEGIES, chunkId, chunkText, DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../chunk/index.js';
import { RagError } from '../errors.js';
import { fnv1a64 } from '../text/bytes.js';
import { enumParameter, numberParameter, parametersFor, readField, requiredTextField, stringParameter, type RagNodeInput } from './common.js';

/** Maximum chunks one node execution emits. */
export const MAX_CHUNKS_PER_EXECUTION = 50_000;

export function executeChunk(_ctx: NodeContext, input: RagNodeInput): { items: Item[] } {
  const output: Item[] = [];
  input.items.forEach((item, index) => {
    const parameters = parametersFor(input, index);
    const textField = stringParameter(parameters, 'textField', 'text');
    const text = requiredTextField(item, textField, index, 'textField');
    const options = {
      strategy: enumParameter(parameters, 'strategy', CHUNK_STRATEGIES, 'recursive'),
      chunkSize: numberParameter(parameters, 'chunkSize', DEFAULT_CHUNK_SIZE, { min: MIN_CHUNK_SIZE, max: MAX_CHUNK_SIZE, integer: true }),
      chunkOverlap: numberParameter(parameters, 'chunkOverlap', DEFAULT_CHUNK_OVERLAP, { min: 0, max: MAX_CHUNK_SIZE / 2, integer: true }),
    };
    const documentIdValue = readField(item, 'documentId');
    const documentId = typeof documentIdValue === 'string' && documentIdValue !== '' ? documentIdValue : `doc-${fnv1a64(text)}`;
    const metadata = typeof item.json.metadata === 'object' && item.json.metadata !== null && !Array.isArray(item.json.metadata) ? item.json.metadata : {};
    const name = typeof item.json.name === 'string' ? item.json.name : documentId;

    const chunks = chunkText(text, options);
    if (output.length + chunks.length > MAX_CHUNKS_PER_EXECUTION) {
      throw new RagError('invalid_argument', `The documents make more than ${MAX_CHUNKS_PER_EXECUTION} chunks in one step. Raise chunkSize, or send fewer documents per run.`);
    }
    chunks.forEach((chunk, position) => {
      output.push({
        json: { chunkId: chunkId(documentId, position), documentId, name, position, chunkCount: chunks.length, text: chunk.text, start: chunk.start, end: chunk.end, headings: chunk.headings, metadata },
      });
    });
  });
  return { items: output };
}
