import { matchesGroup, readConditionGroup, type ConditionGroup } from '../shared/conditions.js';
import type { ExecuteContext, ExecuteInput, Item } from '../shared/items.js';
import { describeValue, ItemError, Parameters, parametersPerItem } from '../shared/parameters.js';

/** Numbered outputs `output0` … `output7`, as declared in the manifest. */
export const SWITCH_OUTPUT_COUNT = 8;
const FALLBACK_PORT = 'fallback';

type Fallback = 'fallback' | 'discard' | 'error';

interface SwitchSettings {
  mode: 'rules' | 'value';
  names: string[];
  fallback: Fallback;
  allMatching: boolean;
  caseSensitive: boolean;
}

interface Rule {
  group: ConditionGroup;
  output: number;
}

function readSettings(params: Parameters): SwitchSettings {
  const names = params.stringList('outputNames', { default: [] });
  if (names.length > SWITCH_OUTPUT_COUNT) params.fail('outputNames', `lists ${names.length} names, but the node has ${SWITCH_OUTPUT_COUNT} numbered outputs`, `Keep at most ${SWITCH_OUTPUT_COUNT} names.`);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) params.fail('outputNames', `lists "${duplicate}" twice`, 'Give every output a different name.');
  return {
    mode: params.string<'rules' | 'value'>('mode', { default: 'rules', enum: ['rules', 'value'] }),
    names,
    fallback: params.string<Fallback>('fallback', { default: 'fallback', enum: ['fallback', 'discard', 'error'] }),
    allMatching: params.boolean('sendToAllMatching', false),
    caseSensitive: params.boolean('caseSensitive', true),
  };
}

/** Resolves an output given as an index (number or digits) or a name from `outputNames`; undefined when none matches. */
function outputIndex(value: unknown, settings: SwitchSettings): number | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value.trim()))) {
    const index = Number(value);
    return Number.isInteger(index) && index >= 0 && index < SWITCH_OUTPUT_COUNT ? index : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const wanted = settings.caseSensitive ? value : value.toLocaleLowerCase();
  const index = settings.names.findIndex((name) => (settings.caseSensitive ? name : name.toLocaleLowerCase()) === wanted);
  return index === -1 ? undefined : index;
}

function readRules(params: Parameters, settings: SwitchSettings): Rule[] {
  const rules = params.objects('rules', { minItems: 1, maxItems: 64 });
  if (rules.length === 0) params.fail('rules', 'is missing', 'Add a rule such as { "conditions": [{ "field": "kind", "operator": "equals", "value": "a" }], "output": 0 }.');
  return rules.map((rule, index) => {
    const raw = rule.raw('output');
    const output = raw === undefined || raw === null || raw === '' ? index : outputIndex(raw, settings);
    if (output !== undefined) return { group: readConditionGroup(rule), output };
    return rule.fail('output', `is ${describeValue(raw)}, which names no output`, `Use a number from 0 to ${SWITCH_OUTPUT_COUNT - 1}${settings.names.length > 0 ? ` or one of ${settings.names.map((name) => JSON.stringify(name)).join(', ')}` : ', or name the outputs in "outputNames"'}.`);
  });
}

/**
 * `mify.control.route-switch`: sends each item to a numbered output, chosen by the first
 * matching rule (or every matching rule) or by a value resolved per item. Items that match
 * nothing go to `fallback`, are dropped, or fail the node.
 */
export const routeSwitch = {
  execute(ctx: ExecuteContext, input: ExecuteInput) {
    const perItem = parametersPerItem(input);
    const out: Record<string, Item[]> = { [FALLBACK_PORT]: [] };
    for (let index = 0; index < SWITCH_OUTPUT_COUNT; index++) out[`output${index}`] = [];

    const cache = new Map<Record<string, unknown>, { settings: SwitchSettings; rules: Rule[] }>();
    // Every item's settings are read before any item is routed, so a bad parameter fails the node whole.
    const ruleSets = perItem.map((values) => {
      let entry = cache.get(values);
      if (entry === undefined) {
        const params = new Parameters(values, ctx.node.name);
        const settings = readSettings(params);
        entry = { settings, rules: settings.mode === 'rules' ? readRules(params, settings) : [] };
        cache.set(values, entry);
      }
      return entry;
    });

    input.items.forEach((item, itemIndex) => {
      const { settings, rules } = ruleSets[itemIndex]!;
      const targets: number[] = [];
      if (settings.mode === 'value') {
        const value = perItem[itemIndex]!.value;
        const target = outputIndex(value, settings);
        if (target !== undefined) targets.push(target);
        else if (settings.fallback === 'error') {
          throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} has the value ${describeValue(value)}, which names no output. Use a number from 0 to ${SWITCH_OUTPUT_COUNT - 1} or a name listed in "outputNames", or set "fallback" to "fallback" or "discard".`);
        }
      } else {
        for (const rule of rules) {
          if (!matchesGroup(rule.group, item.json, itemIndex)) continue;
          if (!targets.includes(rule.output)) targets.push(rule.output);
          if (!settings.allMatching) break;
        }
        if (targets.length === 0 && settings.fallback === 'error') {
          throw new ItemError(`Node '${ctx.node.name}': item ${itemIndex} matches no rule. Add a rule for it, or set "fallback" to "fallback" or "discard".`);
        }
      }

      if (targets.length === 0) {
        if (settings.fallback === 'fallback') out[FALLBACK_PORT]!.push(item);
        return;
      }
      for (const target of targets) out[`output${target}`]!.push(item);
    });
    return out;
  },
};
