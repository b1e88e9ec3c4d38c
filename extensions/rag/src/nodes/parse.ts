/** The parse node: one document per item, as text or a binary property, to text with structure. */
import type { Item, NodeContext } from '@mify/sdk';
import { RagError } from '../errors.js';
import { parseDocument, resolveMediaType } from '../parse/index.js';
import { decodeBase64, fnv1a64 } from '../text/bytes.js';
import { parametersFor, readField, stringParameter, type RagNodeInput } from './common.js';

/** Maximum size of one document, in bytes (or characters for text). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** Maximum CSV rows copied into the item's `rows` field. */
const MAX_ROWS_IN_ITEM = 10_000;

function parseItem(item: Item, index: number, parameters: Record<string, unknown>): Item {
  const textField = stringParameter(parameters, 'textField', 'text');
  const binaryProperty = stringParameter(parameters, 'binaryProperty', 'data');
  const binary = item.binary?.[binaryProperty];
  const text = readField(item, textField);
  const base64 = readField(item, 'base64');
  if (!binary && typeof text !== 'string' && typeof base64 !== 'string') {
    throw new RagError('invalid_argument', `Item ${index} has no document: no text in field '${textField}', no 'base64' field and no binary property '${binaryProperty}'. Set parameter 'textField' or 'binaryProperty'.`);
  }

  const declared = stringParameter(parameters, 'mediaType', 'auto');
  const fileName = binary?.fileName ?? (typeof item.json.name === 'string' ? item.json.name : undefined);
  const itemType = typeof item.json.mediaType === 'string' ? item.json.mediaType : binary?.mimeType;
  const mediaType = resolveMediaType(declared === 'auto' ? itemType : declared, fileName);

  let content: { text: string } | { bytes: Uint8Array };
  if (binary) content = { bytes: decodeBase64(binary.data, `Item ${index} binary property '${binaryProperty}'`) };
  else if (typeof base64 === 'string') content = { bytes: decodeBase64(base64, `Item ${index} field 'base64'`) };
  else content = { text: text as string };
  const size = 'bytes' in content ? content.bytes.length : content.text.length;
  if (size > MAX_DOCUMENT_BYTES) throw new RagError('invalid_argument', `Item ${index} document is ${size} bytes; the maximum is ${MAX_DOCUMENT_BYTES}. Split it into smaller documents.`);

  const parsed = parseDocument(mediaType, content);
  const explicitId = stringParameter(parameters, 'documentId') ?? (typeof item.json.documentId === 'string' ? item.json.documentId : undefined);
  const documentId = explicitId ?? `doc-${fnv1a64(parsed.text)}`;
  const name = fileName ?? parsed.title ?? documentId;
  const json: Record<string, unknown> = {
    documentId,
    name,
    mediaType,
    title: parsed.title,
    text: parsed.text,
    characters: parsed.text.length,
    warnings: parsed.warnings,
    metadata: typeof item.json.metadata === 'object' && item.json.metadata !== null && !Array.isArray(item.json.metadata) ? item.json.metadata : {},
  };
  if (parsed.pageCount !== undefined) json.pageCount = parsed.pageCount;
  if (parsed.rows) {
    json.rowCount = parsed.rows.length;
    json.rows = parsed.rows.slice(0, MAX_ROWS_IN_ITEM);
  }
  return { json };
}

/**
 * With `onError: "report"` a document that cannot be read becomes an item with `error`
 * (`{ code, message }`) instead of failing the step, so one bad file does not stop a batch.
 */
export function executeParse(_ctx: NodeContext, input: RagNodeInput): { items: Item[] } {
  return {
    items: input.items.map((item, index) => {
      const parameters = parametersFor(input, index);
      try {
        return parseItem(item, index, parameters);
      } catch (error) {
        if (stringParameter(parameters, 'onError', 'fail') !== 'report') throw error;
        // Parser failures outside RagError (a corrupt Flate stream) are still faults of the document.
        const code = error instanceof RagError ? error.code : 'invalid_document';
        const message = error instanceof RagError ? error.message : `Item ${index} document could not be read: ${error instanceof Error ? error.message : String(error)}. Check that the file is complete and of the declared media type.`;
        return { json: { documentId: readField(item, 'documentId') ?? null, error: { code, message } } };
      }
    }),
  };
}
