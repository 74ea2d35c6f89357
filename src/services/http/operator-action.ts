import { ProblemError } from './problem.ts';

/**
 * The body of an operator's retry of something that waits for one (a STUCK saga's compensation,
 * an order's failed refund): who acts and why, both recorded where the action is (a saga's
 * history, an order's timeline). The calling key id is recorded beside the name the operator
 * gives, so a name cannot hide which credential acted.
 */
export const operatorActionBody = {
  type: 'object',
  properties: {
    operator: { type: 'string', minLength: 1, maxLength: 200, description: 'Who acts (recorded with the calling key id)' },
    reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why: what was fixed (recorded)' },
  },
  required: ['operator', 'reason'],
  additionalProperties: false,
} as const;

export interface OperatorActionBody {
  operator: string;
  reason: string;
}

/** Who and why as recorded: `<name> (API key <keyId>)` and the reason, trimmed; blank ones are a 400 `invalid-field`. */
export function operatorActionOf(body: OperatorActionBody, keyId: string): OperatorActionBody {
  const operator = body.operator.trim();
  const reason = body.reason.trim();
  if (operator === '' || reason === '')
    throw new ProblemError('invalid-field', 'a retry needs an operator and a reason', operator === '' ? '/operator' : '/reason');
  return { operator: `${operator} (API key ${keyId})`, reason };
}
