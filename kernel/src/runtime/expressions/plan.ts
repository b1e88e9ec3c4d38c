import type { SandboxSite } from './sandbox-protocol.js';
import type { TemplateSite } from './parameters.js';
import type { TemplateExpression } from './template.js';

/** One expression in the order the sandbox evaluates the expressions of an item. */
export interface PlannedExpression {
  /** Index into `EvaluationPlan.sites`. */
  siteIndex: number;
  expression: TemplateExpression;
}

/** Evaluation plan of one parameters object: the fixed values, and the work for the sandbox. */
export interface EvaluationPlan {
  sites: TemplateSite[];
  /** Value of each site that needs no sandbox (a template without expressions); undefined for the others. */
  fixedValues: unknown[];
  /** The first site whose template cannot be parsed, if any; no item can resolve then. */
  invalidSite: TemplateSite | undefined;
  /** Indices into `sites` of the sites the sandbox evaluates, in order. */
  sandboxSiteIndices: number[];
  /** Sandbox sites in the sandbox's form; numbers are indices into `sources`. */
  sandboxSites: SandboxSite[];
  /** Distinct expression sources of the sandbox sites. */
  sources: string[];
  /** Every expression of one item, in evaluation order; a progress position modulo its length indexes it. */
  expressions: PlannedExpression[];
}

/** Splits the sites of a parameters object into fixed values and work for the sandbox. */
export function planEvaluation(sites: TemplateSite[]): EvaluationPlan {
  const plan: EvaluationPlan = {
    sites,
    fixedValues: sites.map(() => undefined),
    invalidSite: undefined,
    sandboxSiteIndices: [],
    sandboxSites: [],
    sources: [],
    expressions: [],
  };
  const sourceIndex = new Map<string, number>();
  const indexOf = (expression: TemplateExpression, siteIndex: number): number => {
    plan.expressions.push({ siteIndex, expression });
    let index = sourceIndex.get(expression.source);
    if (index === undefined) {
      index = plan.sources.length;
      plan.sources.push(expression.source);
      sourceIndex.set(expression.source, index);
    }
    return index;
  };

  sites.forEach((site, siteIndex) => {
    const { template } = site;
    switch (template.kind) {
      case 'invalid':
        plan.invalidSite ??= site;
        return;
      case 'text':
        plan.fixedValues[siteIndex] = template.text;
        return;
      case 'single':
        plan.sandboxSiteIndices.push(siteIndex);
        plan.sandboxSites.push(indexOf(template.expression, siteIndex));
        return;
      case 'mixed':
        plan.sandboxSiteIndices.push(siteIndex);
        plan.sandboxSites.push(template.parts.map((part) => (typeof part === 'string' ? part : indexOf(part, siteIndex))));
        return;
    }
  });

  return plan;
}
