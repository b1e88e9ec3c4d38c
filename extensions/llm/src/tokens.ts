/**
 * Token count estimate that needs no tokenizer and no provider.
 *
 * Byte-pair tokenizers such as OpenAI's cl100k and o200k split English text into about
 * one token per 4 characters, give most punctuation marks a token of their own, and give
 * CJK characters about one token each. The estimate applies those rules per run of
 * characters:
 * - a run of ASCII letters and digits: ceil(length / 4), at least 1;
 * - a run of other letters (accented Latin, Cyrillic, Greek, Arabic, …): ceil(length / 2);
 * - each CJK ideograph, kana or Hangul syllable: 1;
 * - each other visible character (punctuation, symbols, emoji): 1;
 * - whitespace: 0, because tokenizers merge a space into the next word's token.
 *
 * NOTE: the rules were not measured against a real tokenizer in this repository. Treat
 * the result as an estimate for budgeting, not as the count a vendor bills.
 */

/** Tokens a chat message adds beyond its content (role and separators), as in OpenAI's chat format. */
export const TOKENS_PER_MESSAGE = 4;

/** Tokens that prime the assistant's reply in a chat request. */
export const TOKENS_PER_REPLY = 3;

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;

/**
 * Estimates the tokens of a text.
 *
 * @example
 * estimateTokens('Hello, world!'); // 6: "Hello" 2, "," 1, "world" 2, "!" 1
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  const runs = text.match(/[A-Za-z0-9]+|\p{L}+|\S/gu) ?? [];
  for (const run of runs) {
    if (/^[A-Za-z0-9]+$/.test(run)) {
      tokens += Math.max(1, Math.ceil(run.length / 4));
    } else if (/^\p{L}+$/u.test(run)) {
      tokens += countLetterRun(run);
    } else {
      tokens += 1;
    }
  }
  return tokens;
}

function countLetterRun(run: string): number {
  let cjk = 0;
  let other = 0;
  for (const character of run) {
    if (CJK.test(character)) cjk += 1;
    else other += 1;
  }
  return cjk + Math.ceil(other / 2);
}

/** Estimates the input tokens of a chat: each message's content plus its overhead, plus the reply priming. */
export function estimateChatTokens(messages: Array<{ content: string }>): number {
  let tokens = TOKENS_PER_REPLY;
  for (const message of messages) tokens += TOKENS_PER_MESSAGE + estimateTokens(message.content);
  return tokens;
}
