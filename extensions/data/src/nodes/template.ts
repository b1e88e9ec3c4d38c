import { describeValue, getPath, ItemError, Parameters, parametersPerItem, parsePath, setPath, type ExecuteContext, type ExecuteInput } from '../shared.js';

export const ESCAPE_MODES = ['none', 'html', 'json', 'url', 'shell'] as const;
type EscapeMode = (typeof ESCAPE_MODES)[number];

/** `${path}` or `${path|mode}`; `$${` writes a literal `${`. */
const PLACEHOLDER = /\$\$\{|\$\{\s*([^}|]+?)\s*(?:\|\s*([a-z]+)\s*)?\}/g;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeText(text: string, mode: EscapeMode): string {
  switch (mode) {
    case 'none':
      return text;
    case 'html':
      return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
    case 'json':
      // The inside of a JSON string literal: quotes, backslashes and control characters escaped.
      return JSON.stringify(text).slice(1, -1).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    case 'url':
      return encodeURIComponent(text);
    case 'shell':
      // One POSIX shell word in single quotes; a quote inside ends, escapes and reopens it.
      return `'${text.replace(/'/g, `'\\''`)}'`;
  }
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * `mify.data.template`: renders a text template over each item's fields into `outputField`.
 * Placeholders are `${path}`, or `${path|mode}` to override the escape mode for one value.
 */
export const template = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const items = input.items.map((item, itemIndex) => {
      const params: Parameters = new Parameters(perItem[itemIndex]!, ctx.node.name);
      const text = params.string('template', { allowEmpty: true });
      const escape = params.string<EscapeMode>('escape', { default: 'none', enum: ESCAPE_MODES });
      const missing = params.string<'empty' | 'error' | 'keep'>('missing', { default: 'empty', enum: ['empty', 'error', 'keep'] });
      const outputText = params.string('outputField', { default: 'text' });
      const output = parsePath(outputText);
      if (output === null) params.fail('outputField', `is ${describeValue(outputText)}, which is not a field path`, 'Use a field name such as text or message.body.');

      const rendered = text.replace(PLACEHOLDER, (match, pathText: string | undefined, modeText: string | undefined) => {
        if (pathText === undefined) return '${';
        const path = parsePath(pathText);
        if (path === null) params.fail('template', `has the placeholder ${match}, whose field path is not valid`, 'Write placeholders as ${field} or ${customer.name|html}.');
        const mode = (modeText ?? escape) as EscapeMode;
        if (!ESCAPE_MODES.includes(mode)) params.fail('template', `has the placeholder ${match} with the unknown escape mode "${modeText}"`, `Use one of ${ESCAPE_MODES.join(', ')}.`);
        const value = getPath(item.json, path);
        if (value === undefined) {
          if (missing === 'error') throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has no field "${pathText}" for the placeholder ${match}. Add the field, or set "missing" to "empty" or "keep".`);
          if (missing === 'keep') return match;
        }
        return escapeText(asText(value), mode);
      });

      const json = { ...item.json };
      setPath(json, output, rendered);
      return item.binary === undefined ? { json } : { json, binary: item.binary };
    });
    return { items };
  },
};
