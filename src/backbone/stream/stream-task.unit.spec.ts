import { describe, expect, it } from 'vitest';
import type { Processor, StreamInput } from './processor.ts';
import { runSimulated } from './simulated-driver.ts';
import { StreamTask } from './stream-task.ts';

/** A processor that logs what it sees and arms the timers its records ask for. */
function recorder(log: string[]): Processor<string, string> {
  return {
    process(record, context) {
      log.push(`record ${record.key}=${record.value} at ${context.nowMs()} wm ${context.watermarkMs()}`);
      const [command, name, dueMs] = record.value.split(':');
      if (command === 'deadline') context.scheduleProcessingTime(record.key, name!, Number(dueMs));
      if (command === 'event') context.scheduleEventTime(record.key, name!, Number(dueMs));
      if (command === 'cancel') context.cancel(record.key, name!);
    },
    onTimer(timer, context) {
      log.push(`timer ${timer.key}/${timer.name} ${timer.domain} due ${timer.dueMs} at ${context.nowMs()}`);
      context.emit(`${timer.key}/${timer.name}`);
    },
  };
}
const record = (key: string, value: string): StreamInput<string> => ({ kind: 'record', key, value });
const watermark = (watermarkMs: number): StreamInput<string> => ({ kind: 'watermark', watermarkMs });

describe('StreamTask: one partition, its watermark and timers', () => {
  it('at one instant, every record of the instant comes before a timer due at it', () => {
    const log: string[] = [];
    const task = new StreamTask(0, recorder(log), () => {});
    task.runInstant(0, [record('a', 'deadline:grace:100')]);
    task.runInstant(100, [record('a', 'x'), record('b', 'y')]);
    expect(log).toEqual([
      'record a=deadline:grace:100 at 0 wm -Infinity',
      'record a=x at 100 wm -Infinity',
      'record b=y at 100 wm -Infinity',
      'timer a/grace processing-time due 100 at 100',
    ]);
  });

  it('fires timers due before an instant at their own instants, in order of due time then arming', () => {
    const log: string[] = [];
    const emitted: string[] = [];
    const task = new StreamTask(0, recorder(log), (output) => emitted.push(output));
    task.runInstant(0, [record('b', 'deadline:t:50'), record('a', 'deadline:t:30'), record('c', 'deadline:t:30')]);
    task.runInstant(200);
    expect(emitted).toEqual(['a/t', 'c/t', 'b/t']);
    expect(log.slice(3)).toEqual([
      'timer a/t processing-time due 30 at 30',
      'timer c/t processing-time due 30 at 30',
      'timer b/t processing-time due 50 at 50',
    ]);
  });

  it('fires an event-time timer when a watermark reaches it, at once, and a watermark never goes back', () => {
    const log: string[] = [];
    const task = new StreamTask(0, recorder(log), () => {});
    task.runInstant(0, [record('a', 'event:complete:40'), record('b', 'event:complete:20')]);
    task.runInstant(5, [watermark(30), record('c', 'x'), watermark(10), watermark(40)]);
    expect(log.slice(2)).toEqual([
      'timer b/complete event-time due 20 at 5',
      'record c=x at 5 wm 30',
      'timer a/complete event-time due 40 at 5',
    ]);
    expect(task.watermarkMs).toBe(40);
  });

  it('re-arming a timer replaces it, and a cancelled timer never fires', () => {
    const emitted: string[] = [];
    const task = new StreamTask(0, recorder([]), (output) => emitted.push(output));
    task.runInstant(0, [record('a', 'deadline:t:10'), record('a', 'deadline:t:20'), record('b', 'deadline:t:15'), record('b', 'cancel:t')]);
    task.runInstant(15);
    expect(emitted).toEqual([]);
    task.runInstant(20);
    expect(emitted).toEqual(['a/t']);
  });

  it('resumes from a stored state and reports the timers it armed, fired or cancelled (what a live runner writes back)', () => {
    const emitted: string[] = [];
    const task = new StreamTask(0, recorder([]), (output) => emitted.push(output), {
      nowMs: 100,
      watermarkMs: 50,
      nextSequence: 7,
      timers: [
        { key: 'a', name: 't', domain: 'processing-time', dueMs: 150, sequence: 3 },
        { key: 'b', name: 't', domain: 'processing-time', dueMs: 150, sequence: 2 },
        { key: 'c', name: 'e', domain: 'event-time', dueMs: 60, sequence: 1 },
      ],
    });
    expect(task.watermarkMs).toBe(50);
    task.runInstant(150, [record('d', 'deadline:t:900'), record('c', 'cancel:e')]);
    expect(emitted).toEqual(['b/t', 'a/t']);
    const { armed, removed } = task.changedTimers();
    expect(armed).toEqual([{ key: 'd', name: 't', domain: 'processing-time', dueMs: 900, sequence: 7 }]);
    expect(removed.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', name: 't' },
      { key: 'b', name: 't' },
      { key: 'c', name: 'e' },
    ]);
    expect(task.nextSequence).toBe(8);
    expect(() => task.runInstant(149)).toThrow(/runs forward/);
  });

  it('refuses to run processing time backwards (a programmer error)', () => {
    const task = new StreamTask(0, recorder([]), () => {});
    task.runInstant(10);
    expect(() => task.runInstant(9)).toThrow(/runs forward/);
  });
});

describe('runSimulated: several partitions on a simulated clock', () => {
  it('fires timers across partitions in order of due time, and every timer left at the end', () => {
    const emitted: string[] = [];
    runSimulated<string, string>(
      [
        { atMs: 0, partition: 1, input: record('p1', 'deadline:t:30') },
        { atMs: 0, partition: 0, input: record('p0', 'deadline:t:20') },
        { atMs: 25, partition: 1, input: record('p1', 'deadline:u:1000') },
      ],
      () => recorder([]),
      (output) => emitted.push(output),
    );
    expect(emitted).toEqual(['p0/t', 'p1/t', 'p1/u']);
  });

  it('refuses inputs out of arrival order', () => {
    expect(() =>
      runSimulated(
        [
          { atMs: 5, partition: 0, input: record('a', 'x') },
          { atMs: 4, partition: 0, input: record('a', 'y') },
        ],
        () => recorder([]),
        () => {},
      ),
    ).toThrow(/arrival order/);
  });
});
