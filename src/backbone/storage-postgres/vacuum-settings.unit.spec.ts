import { expect, it } from 'vitest';
import { autovacuumProblem } from './vacuum-settings.ts';

it('names each setting that stops autovacuum, and nothing when both are on', () => {
  expect(autovacuumProblem({ autovacuum: 'on', trackCounts: 'on' })).toBeUndefined();
  expect(autovacuumProblem({ autovacuum: 'off', trackCounts: 'on' })).toMatch(
    /^this PostgreSQL server will not vacuum or analyse paystream's tables \(autovacuum = off\)/,
  );
  expect(autovacuumProblem({ autovacuum: 'off', trackCounts: 'off' })).toContain('(autovacuum = off, track_counts = off)');
  expect(autovacuumProblem({ autovacuum: 'on', trackCounts: 'off' })).toContain('(track_counts = off)');
});
