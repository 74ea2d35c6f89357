import type { SagaDefinition } from './definition.ts';

/**
 * A saga's states as a Mermaid state diagram, written from its definition, so that a page that
 * shows it can be checked against the code (a test compares them) and never drifts: each step to
 * the next on success; a refusal to the compensation of the latest completed step that has one; a
 * step unanswered after its last send to its own compensation too (the participant may have acted);
 * each compensation to the one before it; the end states. `compensated` names the end of the
 * failure path (default `COMPENSATED`), e.g. `APPLICATION_REJECTED`.
 */
export function sagaStateDiagram(definition: SagaDefinition, names: { completed?: string; compensated?: string } = {}): string {
  const completed = names.completed ?? 'COMPLETED';
  const compensated = names.compensated ?? 'COMPENSATED';
  const { steps } = definition;
  /** The compensation run first when compensating from step `from` down, or the end. */
  const compensationFrom = (from: number): string => {
    for (let index = from; index >= 0; index -= 1) if (steps[index]!.compensation) return steps[index]!.compensation!;
    return compensated;
  };
  const lines = ['stateDiagram-v2', `  [*] --> ${steps[0]!.name}: start`];
  steps.forEach((step, index) => {
    lines.push(`  ${step.name} --> ${steps[index + 1]?.name ?? completed}: succeeded`);
    const refused = compensationFrom(index - 1);
    const unanswered = compensationFrom(index);
    if (refused === unanswered) {
      lines.push(`  ${step.name} --> ${refused}: refused, or no reply after ${definition.maxAttempts} sends`);
    } else {
      lines.push(`  ${step.name} --> ${refused}: refused`);
      lines.push(`  ${step.name} --> ${unanswered}: no reply after ${definition.maxAttempts} sends`);
    }
  });
  steps.forEach((step, index) => {
    if (!step.compensation) return;
    lines.push(`  ${step.compensation} --> ${compensationFrom(index - 1)}: undone`);
    lines.push(`  ${step.compensation} --> STUCK: still failing after ${definition.compensation.maxAttempts} sends`);
  });
  lines.push(`  ${completed} --> [*]`, `  ${compensated} --> [*]`);
  return lines.join('\n');
}
