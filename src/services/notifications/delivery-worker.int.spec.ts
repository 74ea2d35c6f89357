import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { PostgresDatabase } from '../../backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/clock.ts';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { createNotificationsService, type NotificationsService } from './notifications-service.ts';
import { insertDeliveries } from './deliveries.ts';
import { insertSubscription } from './subscriptions.ts';
import { startReceiver } from '../../../test/support/webhook-receiver.ts';

describeWithPostgres('delivery workers on PostgreSQL', () => {
  let database: TestDatabase;
  let db: PostgresDatabase;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const workers: NotificationsService[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('notifications');
    db = new PostgresDatabase({ connectionString: database.url, poolSize: 10 });
    receiver = await startReceiver(() => 200);
    for (let i = 0; i < 3; i++) {
      workers.push(
        createNotificationsService(
          {
            db,
            publisher: { publish: async () => {}, publishEach: async () => {} },
            clock: systemClock,
            ids: uuidV7Ids,
            logger: pino({ level: 'silent' }),
            metricsRegistry: new Registry(),
          },
          { requireScope: () => async () => {}, claimBatch: 4 },
        ),
      );
    }
    await migrate(db, 'notifications', workers[0]!.migrations);
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
    await database?.drop();
  });

  it('share the due deliveries without sending any twice (skip locked claims)', async () => {
    const subscription = await insertSubscription(
      db,
      uuidV7Ids.eventId(),
      { url: receiver.url('/hook'), events: null },
      'whsec_x',
      Date.now(),
    );
    for (let n = 0; n < 40; n++) {
      const event = {
        eventId: `event-${n}`,
        eventType: 'PaymentCompleted',
        correlationId: 'flow',
        occurredAt: new Date().toISOString(),
        payloadJson: '{}',
      };
      await db.transaction((tx) =>
        insertDeliveries(
          tx,
          [{ delivery: { id: uuidV7Ids.eventId(), channel: 'webhook', subscriptionId: subscription.id, destination: null }, event }],
          Date.now(),
        ),
      );
    }
    const attempts = await Promise.all(workers.map((service) => service.deliveryWorker.deliverDue()));
    expect(attempts.reduce((sum, count) => sum + count, 0)).toBe(40);
    expect(attempts.filter((count) => count > 0).length).toBeGreaterThan(1);
    const eventIds = receiver.requests.map((request) => request.headers['paystream-event-id']);
    expect(eventIds).toHaveLength(40);
    expect(new Set(eventIds).size).toBe(40);
    const statuses = await db.query<{ status: string; count: bigint }>(
      `select status, count(*)::int8 as count from notification_deliveries group by status`,
    );
    expect(statuses.rows).toEqual([{ status: 'delivered', count: 40n }]);
  });
});
