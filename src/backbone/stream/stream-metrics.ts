import { Gauge, type Registry } from 'prom-client';
import type { SqlRunner } from '../storage/database.ts';

/** The live stream processors' state, read from their tables at each scrape (every processor of the database). */
export interface StreamMetrics {
  /** Keyed state rows per processor and store: flat under churn when the processor prunes what it no longer needs. */
  stateRows: Gauge<'processor' | 'store'>;
  /** Bytes of those rows' values (JSON text). */
  stateBytes: Gauge<'processor' | 'store'>;
  /** Armed timers per processor and time domain. */
  timers: Gauge<'processor' | 'domain'>;
}

export function createStreamMetrics(registry: Registry, db: Pick<SqlRunner, 'query'>): StreamMetrics {
  const registers = [registry];
  // One query feeds both state gauges; each gauge's collect reads the same scrape's rows.
  let pending: Promise<{ processor: string; store: string; rows: bigint; bytes: bigint }[]> | undefined;
  const stateOfScrape = () => {
    pending ??= db
      .query<{ processor: string; store: string; rows: bigint; bytes: bigint }>(
        `select processor, store, count(*)::int8 as rows, coalesce(sum(octet_length(value)), 0)::int8 as bytes
           from stream_state group by processor, store`,
      )
      .then((result) => result.rows)
      .finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };
  return {
    stateRows: new Gauge({
      name: 'paystream_stream_state_rows',
      help: 'Keyed state rows of a live stream processor, per store.',
      labelNames: ['processor', 'store'],
      registers,
      async collect() {
        const rows = await stateOfScrape();
        this.reset();
        for (const row of rows) this.set({ processor: row.processor, store: row.store }, Number(row.rows));
      },
    }),
    stateBytes: new Gauge({
      name: 'paystream_stream_state_bytes',
      help: "Bytes of a live stream processor's keyed state values (JSON), per store.",
      labelNames: ['processor', 'store'],
      registers,
      async collect() {
        const rows = await stateOfScrape();
        this.reset();
        for (const row of rows) this.set({ processor: row.processor, store: row.store }, Number(row.bytes));
      },
    }),
    timers: new Gauge({
      name: 'paystream_stream_timers',
      help: 'Armed timers of a live stream processor, per time domain.',
      labelNames: ['processor', 'domain'],
      registers,
      async collect() {
        const result = await db.query<{ processor: string; domain: string; count: bigint }>(
          `select processor, domain, count(*)::int8 as count from stream_timers group by processor, domain`,
        );
        this.reset();
        for (const row of result.rows) this.set({ processor: row.processor, domain: row.domain }, Number(row.count));
      },
    }),
  };
}
