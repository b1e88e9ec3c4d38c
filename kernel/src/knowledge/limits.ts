/** Limits of the knowledge-base and vector-store APIs. docs/rag.md lists them for users. */

/** Maximum documents in one ingest request. */
export const MAX_DOCUMENTS_PER_INGEST = 100;

/**
 * Maximum size of one document, in bytes after base64 decoding (UTF-8 bytes for text). The
 * request body limit (MIFY_BODY_LIMIT_BYTES, default 1 MiB) applies first, so larger documents
 * also need that limit raised.
 */
export const MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

/** Maximum chunks one ingest request may create, over all its documents. */
export const MAX_CHUNKS_PER_INGEST = 5_000;

/** Maximum knowledge bases per workspace. */
export const MAX_KNOWLEDGE_BASES_PER_WORKSPACE = 200;

/** Maximum length of a search query, in characters. */
export const MAX_QUERY_CHARS = 4_096;

/** Maximum vectors in one vector-store upsert request, and ids in one delete request. */
export const MAX_VECTORS_PER_REQUEST = 1_000;

/** Maximum vector stores per workspace. */
export const MAX_VECTOR_STORES_PER_WORKSPACE = 200;

/** Texts per embedding request sent to the provider. */
export const EMBED_BATCH_SIZE = 96;
