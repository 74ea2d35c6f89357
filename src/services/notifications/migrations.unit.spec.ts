import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedFixture, type BackboneFixture } from '../../backbone/testing/embedded-fixture.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { notificationsMigrations } from './migrations.ts';
import { insertSubscription } from './subscriptions.ts';

describe('the notifications migrations', () => {
  let fixture: BackboneFixture;
  beforeAll(async () => {
    fixture = await embeddedFixture();
  });
  afterAll(async () => fixture?.close());

  it('turns a subscription to PaymentBlocked into one to PaymentRejected (a block is told as a rejection), once each', async () => {
    await migrate(
      fixture.db,
      'notifications',
      notificationsMigrations.filter((migration) => migration.id === 1),
    );
    const subscribe = (id: string, events: string[] | null) =>
      insertSubscription(fixture.db, id, { url: 'https://example.com/hook', events }, 'whsec_x', Date.now());
    await subscribe('blocked-only', ['PaymentBlocked']);
    await subscribe('both', ['PaymentRejected', 'PaymentBlocked', 'PaymentCompleted']);
    await subscribe('completed', ['PaymentCompleted']);
    await subscribe('all', null);

    await migrate(fixture.db, 'notifications', notificationsMigrations);
    const rows = await fixture.db.query<{ id: string; event_types: string[] | null }>(
      `select id, event_types from webhook_subscriptions order by id`,
    );
    expect(Object.fromEntries(rows.rows.map((row) => [row.id, row.event_types]))).toEqual({
      all: null,
      'blocked-only': ['PaymentRejected'],
      both: ['PaymentCompleted', 'PaymentRejected'],
      completed: ['PaymentCompleted'],
    });
  });
});
