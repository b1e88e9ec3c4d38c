import type { NodeInput } from '@mify/sdk';

/** Node input as the kernel passes it: parameters, and per-item parameters when they contain expressions. */
interface ParameterisedInput extends NodeInput {
  parameters?: Record<string, unknown>;
  itemParameters?: Array<Record<string, unknown>>;
}

/**
 * Returns a function giving the parsed options of each item. Parameters with expressions
 * arrive resolved per item (`itemParameters`), so each item is parsed on its own; without
 * expressions the parameters are parsed once.
 */
export function optionsPerItem<T>(input: NodeInput, read: (parameters: Record<string, unknown>) => T): (itemIndex: number) => T {
  const { parameters = {}, itemParameters } = input as ParameterisedInput;
  if (!itemParameters) {
    const options = read(parameters);
    return () => options;
  }
  return (itemIndex) => read(itemParameters[itemIndex] ?? parameters);
}
