import type { Processor, StreamInput } from './processor.ts';
import { StreamTask } from './stream-task.ts';

/** One input of a simulated run: when it arrives (processing-time ms), on which partition. */
export interface TimedInput<Input> {
  readonly atMs: number;
  readonly partition: number;
  readonly input: StreamInput<Input>;
}

/**
 * Runs processors over several partitions on a simulated clock, like Kafka Streams'
 * `TopologyTestDriver`: inputs in arrival order (ties keep their order), each partition's task
 * built on demand by `processorOf`, timers fired at their own instants across partitions in order
 * of (due time, partition), and at the end every timer still armed fires in that order. Same
 * inputs, same outputs in the same order: nothing here reads a real clock.
 */
export function runSimulated<Input, Output>(
  inputs: readonly TimedInput<Input>[],
  processorOf: (partition: number) => Processor<Input, Output>,
  emit: (output: Output) => void,
): void {
  const tasks = new Map<number, StreamTask<Input, Output>>();
  const taskOf = (partition: number) => {
    let task = tasks.get(partition);
    if (!task) tasks.set(partition, (task = new StreamTask(partition, processorOf(partition), emit)));
    return task;
  };
  const advanceAllBefore = (limitMs: number) => {
    for (;;) {
      let next: { task: StreamTask<Input, Output>; dueMs: number } | undefined;
      for (const task of [...tasks.values()].sort((a, b) => a.partition - b.partition)) {
        const dueMs = task.nextDeadlineMs();
        if (dueMs !== undefined && dueMs < limitMs && (!next || dueMs < next.dueMs)) next = { task, dueMs };
      }
      if (!next) return;
      next.task.runInstant(Math.max(next.dueMs, next.task.nowMs));
    }
  };
  for (let index = 0; index < inputs.length;) {
    const atMs = inputs[index]!.atMs;
    let end = index;
    while (end < inputs.length && inputs[end]!.atMs === atMs) end++;
    if (index > 0 && atMs < inputs[index - 1]!.atMs)
      throw new Error(`inputs must be in arrival order: ${atMs} after ${inputs[index - 1]!.atMs}`);
    advanceAllBefore(atMs);
    const byPartition = new Map<number, StreamInput<Input>[]>();
    for (const item of inputs.slice(index, end)) {
      const partitionInputs = byPartition.get(item.partition);
      if (partitionInputs) partitionInputs.push(item.input);
      else byPartition.set(item.partition, [item.input]);
    }
    for (const partition of [...byPartition.keys()].sort((a, b) => a - b)) taskOf(partition).runInstant(atMs, byPartition.get(partition));
    index = end;
  }
  advanceAllBefore(Number.POSITIVE_INFINITY);
}
