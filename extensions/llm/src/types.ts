/**
 * Request and response shapes shared by the adapters and the nodes. They follow the SDK's
 * `ChatRequest` and `ChatResponse`, plus the cost of the call.
 */
import type { ChatMessage, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ExtensionContext, JsonObject } from '@mify/sdk';

export type { ChatMessage, ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ExtensionContext, JsonObject };

/** Wire formats the extension speaks. */
export type WireFormat = 'openai' | 'anthropic' | 'gemini';

/** Cost of one call in US dollars, computed from the price table or a price override. */
export interface CallCost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
  /** `table`: the built-in price table; `override`: prices given in the request; `unknown`: no price, so all amounts are 0. */
  source: 'table' | 'override' | 'unknown';
  /** Date the table's prices were last checked, for `table`. */
  pricesAsOf?: string;
}

/** Prices in US dollars per million tokens. */
export interface Price {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** A chat response as this extension's adapters return it. */
export interface LlmChatResponse extends ChatResponse {
  provider: string;
  cost: CallCost;
  /** Number of server-sent events parsed, when the vendor's streaming API was used. */
  streamEvents?: number;
}

/** An embedding response as this extension's adapters return it. */
export interface LlmEmbedResponse extends EmbedResponse {
  provider: string;
  cost: CallCost;
}

/** Options of one adapter call that do not travel in the gateway's request. */
export interface CallOptions {
  /** Price override, in US dollars per million tokens. */
  price?: Price;
  /** Time limit of the vendor request in milliseconds; the kernel caps it at MIFY_HTTP_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Connection settings read from a credential: where the vendor is and the key to send. */
export interface Connection {
  baseUrl: string;
  apiKey: string | null;
  /** Extra request headers from the credential, such as OpenRouter's `HTTP-Referer`. */
  headers: Record<string, string>;
}
