import { MifyError } from '../../errors.js';

/**
 * Why an expression failed:
 * - `template`: the parameter string is not a valid template, e.g. an unclosed `{{`;
 * - `syntax`: the JavaScript between the braces does not parse;
 * - `runtime`: the expression threw, e.g. it read a property of undefined;
 * - `unknown_node`: it referenced a node that does not exist or has not run yet;
 * - `result`: its value cannot become a parameter, e.g. a function or a Promise;
 * - `timeout`: it used more CPU time than the evaluator's `timeoutMs`;
 * - `memory`: the sandbox ran out of heap while evaluating it.
 */
export type ExpressionFailureReason = 'template' | 'syntax' | 'runtime' | 'unknown_node' | 'result' | 'timeout' | 'memory';

/** Maximum length of the expression quoted in a message. The full text is in `details.expression`. */
const MAX_QUOTED_CHARS = 200;

export interface ExpressionErrorInit {
  nodeName: string;
  /** Path of the parameter inside the node's parameters, e.g. `headers.Authorization` or `items[2].value`. */
  parameterPath: string;
  /** The expression as written, with its braces, e.g. `{{ $json.id }}`, or the whole template for `template` failures. */
  expression: string;
  reason: ExpressionFailureReason;
  /** Cause of the failure, e.g. `Cannot read properties of undefined (reading 'id')`. */
  detail: string;
  /** Name of the JavaScript error the expression raised, when it raised one, e.g. `TypeError`. */
  errorName?: string | undefined;
}

/**
 * An expression in a node's parameters could not be evaluated. The message names the node,
 * the parameter path, the expression and the cause, for example
 * `Node "Fetch", parameter "url": expression {{ $json.user.id }} failed: Cannot read properties of undefined (reading 'id')`.
 */
export class ExpressionError extends MifyError {
  readonly nodeName: string;
  readonly parameterPath: string;
  readonly expression: string;
  readonly reason: ExpressionFailureReason;

  constructor(init: ExpressionErrorInit) {
    const quoted = init.expression.length > MAX_QUOTED_CHARS ? `${init.expression.slice(0, MAX_QUOTED_CHARS)}…` : init.expression;
    const subject = init.reason === 'template' ? `template ${JSON.stringify(quoted)} is invalid` : `expression ${quoted} failed`;
    super('expression_failed', 422, `Node ${JSON.stringify(init.nodeName)}, parameter ${JSON.stringify(init.parameterPath)}: ${subject}: ${init.detail}`, {
      nodeName: init.nodeName,
      parameterPath: init.parameterPath,
      expression: init.expression,
      reason: init.reason,
      ...(init.errorName === undefined ? {} : { errorName: init.errorName }),
    });
    this.name = 'ExpressionError';
    this.nodeName = init.nodeName;
    this.parameterPath = init.parameterPath;
    this.expression = init.expression;
    this.reason = init.reason;
  }
}
