export { createExpressionEvaluator, type ExpressionEvaluatorOptions, type SandboxedExpressionEvaluator } from './evaluator.js';
export { ExpressionError, type ExpressionFailureReason } from './errors.js';
export type { ExpressionSandboxStats } from './sandbox-protocol.js';
export { isTemplate, parseTemplate, type ParsedTemplate, type TemplateExpression } from './template.js';
