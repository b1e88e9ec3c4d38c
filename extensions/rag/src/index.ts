import { defineExtension } from '@mify/sdk';
import { embedLocal, LOCAL_MODEL, LOCAL_PROVIDER } from './embed/local.js';
import { executeAnswer } from './nodes/answer.js';
import { executeChunk } from './nodes/chunk.js';
import { executeEmbed } from './nodes/embed.js';
import { executeParse } from './nodes/parse.js';
import { executeRerank } from './nodes/rerank.js';
import { executeRetrieve } from './nodes/retrieve.js';
import { executeStore } from './nodes/store.js';

export default defineExtension({
  nodes: {
    'mify.rag.parse': { execute: executeParse },
    'mify.rag.chunk': { execute: executeChunk },
    'mify.rag.embed': { execute: executeEmbed },
    'mify.rag.store': { execute: executeStore },
    'mify.rag.retrieve': { execute: executeRetrieve },
    'mify.rag.rerank': { execute: executeRerank },
    'mify.rag.answer': { execute: executeAnswer },
  },
  providers: {
    // The local embedder as an embedding provider, so llm.embed and the knowledge-base API can use it too.
    [LOCAL_PROVIDER]: {
      call(_ctx, input) {
        if (input.operation !== 'embed') return { error: { code: 'invalid_argument', message: `Provider '${LOCAL_PROVIDER}' only embeds; it cannot serve '${input.operation}'.` } };
        if (input.request.model !== LOCAL_MODEL) return { error: { code: 'not_found', message: `Provider '${LOCAL_PROVIDER}' has only the model '${LOCAL_MODEL}', not '${input.request.model}'.` } };
        const vectors = input.request.input.map((text) => embedLocal(text));
        const words = input.request.input.reduce((total, text) => total + (text.match(/\S+/g)?.length ?? 0), 0);
        return { model: LOCAL_MODEL, vectors, usage: { inputTokens: words } };
      },
    },
  },
});
