import { describe, expect, it } from 'vitest';
import { flowDiagram } from './flow-diagram.ts';

const eventTypeOf = (topic: string) => topic.toUpperCase();

describe('flowDiagram', () => {
  it('draws an edge from each producer to each consumer of a topic, joining the labels of one pair and leaving out arrows to oneself', () => {
    const diagram = flowDiagram(
      [
        { name: 'intake', consumes: ['placed', 'paid', 'shipped'], produces: ['placed'] },
        { name: 'billing', consumes: ['placed'], produces: ['paid', 'refunded'] },
        { name: 'warehouse', consumes: ['placed', 'paid'], produces: ['shipped'] },
      ],
      { eventTypeOf },
    );
    expect(diagram.split('\n')).toEqual([
      'flowchart LR',
      '  intake[intake]',
      '  billing[billing]',
      '  warehouse[warehouse]',
      '  billing -->|PAID| intake',
      '  warehouse -->|SHIPPED| intake',
      '  intake -->|PLACED| billing',
      '  intake -->|PLACED| warehouse',
      '  billing -->|PAID| warehouse',
    ]);
  });

  it('draws an observer that hears every topic and announces nothing from "every event", and external topics from the external source', () => {
    const diagram = flowDiagram(
      [
        { name: 'a', consumes: ['outside.done.v1'], produces: ['x', 'y'] },
        { name: 'b-c', consumes: ['x'], produces: [] },
        { name: 'stats', consumes: ['x', 'y'], produces: [] },
      ],
      { eventTypeOf, externalSource: { name: 'core', label: 'core banking' }, calls: [{ from: 'a', to: 'core', label: 'POST /v1/x' }] },
    );
    expect(diagram.split('\n')).toEqual([
      'flowchart LR',
      '  a[a]',
      '  b_c[b-c]',
      '  stats[stats]',
      '  core[(core banking)]',
      '  every((every event))',
      '  core -->|"OUTSIDE.DONE.V1"| a',
      '  a -->|X| b_c',
      '  a -->|"POST /v1/x"| core',
      '  every --> stats',
    ]);
  });

  it('refuses a consumed topic nobody produces when there is no external source', () => {
    expect(() => flowDiagram([{ name: 'lonely', consumes: ['nowhere'], produces: [] }], { eventTypeOf })).toThrow(
      'lonely consumes nowhere, which no participant produces',
    );
  });
});
