/**
 * The sample WASM extension's plugin: the node `mify.sample-wasm.text-stats`,
 * compiled by AssemblyScript into an Extism plugin. The kernel calls the export
 * `text_stats` with the node's input as JSON and reads the node's output as JSON.
 */
import { JSON } from "json-as";
import { Host, LogLevel, Memory } from "@extism/as-pdk";
import { error_set, length } from "@extism/as-pdk/lib/env";

/**
 * Calls the kernel's host API. Takes the address of a JSON request `{"method", "args"}`
 * and returns the address of `{"ok": true, "result"}` or `{"ok": false, "error"}`.
 */
@external("extism:host/user", "mify_host_call")
declare function mify_host_call(request: u64): u64;

@json
class TextStatsParameters {
  /** Item field that contains the text. */
  @optional
  field: string = "text";
  /** "none", "uppercase" or "reverse": what to write back into `field`. */
  @optional
  transform: string = "none";
}

@json
class NodeItem {
  json: JSON.Obj = new JSON.Obj();
}

@json
class NodeInput {
  @optional
  parameters: TextStatsParameters = new TextStatsParameters();
  @optional
  items: NodeItem[] = [];
}

@json
class NodeOutput {
  items: NodeItem[] = [];
}

@json
class TextStats {
  /** Unicode code points. */
  characters: i32 = 0;
  /** Runs of characters between whitespace. */
  words: i32 = 0;
  /** Lines, where a final line break does not start another line; 0 for empty text. */
  lines: i32 = 0;
}

@json
class HostCallRequest {
  method: string = "";
  args: string[] = [];
}

function isHighSurrogate(code: i32): bool {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: i32): bool {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Matches the characters JavaScript's `\s` matches. */
function isWhitespace(code: i32): bool {
  if (code == 0x20 || (code >= 0x09 && code <= 0x0d)) return true;
  if (code < 0x85) return false;
  return code == 0x85 || code == 0xa0 || code == 0x1680 || (code >= 0x2000 && code <= 0x200a) ||
    code == 0x2028 || code == 0x2029 || code == 0x202f || code == 0x205f || code == 0x3000 || code == 0xfeff;
}

function measure(text: string): TextStats {
  const stats = new TextStats();
  let inWord = false;
  let lineBreaks = 0;

  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const continuesPair = isLowSurrogate(code) && i > 0 && isHighSurrogate(text.charCodeAt(i - 1));
    if (!continuesPair) stats.characters++;
    if (code == 0x0a) lineBreaks++;

    if (isWhitespace(code)) {
      inWord = false;
    } else if (!inWord) {
      inWord = true;
      stats.words++;
    }
  }

  if (text.length > 0) {
    stats.lines = text.endsWith("\n") ? lineBreaks : lineBreaks + 1;
  }
  return stats;
}

/** Reverses by code point, so surrogate pairs stay intact. */
function reverse(text: string): string {
  const length = text.length;
  const units = new Uint16Array(length);
  let out = length;

  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (isHighSurrogate(code) && i + 1 < length && isLowSurrogate(text.charCodeAt(i + 1))) {
      out -= 2;
      units[out] = <u16>code;
      units[out + 1] = <u16>text.charCodeAt(i + 1);
      i++;
      continue;
    }
    out -= 1;
    units[out] = <u16>code;
  }

  return String.UTF16.decode(units.buffer);
}

/** Reports an error to the host; the kernel fails the call with this message. */
function fail(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}

/** Writes `text` as the call's output. The PDK's `outputString` sizes by UTF-16 units, not UTF-8 bytes, so it is not used. */
function output(text: string): void {
  Host.output(Uint8Array.wrap(String.UTF8.encode(text)));
}

function logThroughHost(message: string): void {
  const request = new HostCallRequest();
  request.method = "log.info";
  request.args = [message];

  const responseAddress = mify_host_call(Memory.allocateString(JSON.stringify(request)).offset);
  const response = new Memory(responseAddress, length(responseAddress)).toString();
  const ok = JSON.parse<JSON.Obj>(response).get("ok");
  if (ok === null || ok.type != JSON.Types.Bool || !ok.get<bool>()) {
    Host.log(LogLevel.Warn, "text-stats: the host rejected the log call: " + response);
  }
}

/**
 * Node `mify.sample-wasm.text-stats`. Input: `{"parameters": {"field", "transform"},
 * "items": [{"json": {...}}]}`. Output: `{"items": [...]}` where each item's json
 * gains `stats` (characters, words, lines of the original text) and, unless
 * `transform` is "none", has `field` replaced by the transformed text.
 */
export function text_stats(): i32 {
  const input = JSON.parse<NodeInput>(Host.inputString());
  const field = input.parameters.field;
  const transform = input.parameters.transform;

  if (field.length == 0) return fail("parameter 'field' must not be empty");
  if (transform != "none" && transform != "uppercase" && transform != "reverse") {
    return fail("parameter 'transform' must be \"none\", \"uppercase\" or \"reverse\", got \"" + transform + "\"");
  }

  for (let i = 0; i < input.items.length; i++) {
    const json = input.items[i].json;
    const value = json.get(field);
    if (value === null || value.type != JSON.Types.String) {
      return fail("item " + i.toString() + ": field '" + field + "' is missing or not a string");
    }

    const text = value.get<string>();
    json.set<TextStats>("stats", measure(text));
    if (transform == "uppercase") json.set<string>(field, text.toUpperCase());
    if (transform == "reverse") json.set<string>(field, reverse(text));
  }

  logThroughHost("text-stats processed " + input.items.length.toString() + " items");

  const result = new NodeOutput();
  result.items = input.items;
  output(JSON.stringify(result));
  return 0;
}

/**
 * Replaces AssemblyScript's default `env.abort` import, which Extism does not
 * provide. Logs the message at error level, then traps.
 */
function abortPlugin(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "abort: " + (message === null ? "(no message)" : message) + " at " +
    (fileName === null ? "(unknown file)" : fileName) + ":" + line.toString() + ":" + column.toString();
  Host.log(LogLevel.Error, text);
  unreachable();
}
