/**
 * The {{id}} extension, compiled by AssemblyScript into an Extism plugin. The kernel
 * calls the export named by a node's `handler` with the node's input as JSON,
 * `{"parameters": {...}, "items": [{"json": {...}}]}`, and reads `{"items": [...]}` back.
 */
import { JSON } from "json-as";
import { Host, LogLevel, Memory } from "@extism/as-pdk";
import { error_set } from "@extism/as-pdk/lib/env";

@json
class MeasureParameters {
  /** Item field that contains the text. */
  @optional
  field: string = "text";
}

@json
class NodeItem {
  json: JSON.Obj = new JSON.Obj();
}

@json
class NodeInput {
  @optional
  parameters: MeasureParameters = new MeasureParameters();
  @optional
  items: NodeItem[] = [];
}

@json
class NodeOutput {
  items: NodeItem[] = [];
}

/** Reports an error to the kernel, which fails the node with this message. */
function fail(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}

/** Node `{{id}}.measure`: adds `length` (UTF-16 code units of the text field) to each item. */
export function measure(): i32 {
  const input = JSON.parse<NodeInput>(Host.inputString());
  const field = input.parameters.field;

  for (let i = 0; i < input.items.length; i++) {
    const json = input.items[i].json;
    const value = json.get(field);
    if (value === null || value.type != JSON.Types.String) {
      return fail("item " + i.toString() + ": field '" + field + "' is missing or not a string");
    }
    json.set<i32>("length", value.get<string>().length);
  }

  const output = new NodeOutput();
  output.items = input.items;
  // Host.outputString sizes by UTF-16 units, so the UTF-8 bytes are written instead.
  Host.output(Uint8Array.wrap(String.UTF8.encode(JSON.stringify(output))));
  return 0;
}

/** Replaces AssemblyScript's `env.abort` import, which Extism does not provide: logs, then traps. */
function abortPlugin(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "abort: " + (message === null ? "(no message)" : message) + " at " + (fileName === null ? "(unknown file)" : fileName) + ":" + line.toString() + ":" + column.toString();
  Host.log(LogLevel.Error, text);
  unreachable();
}
