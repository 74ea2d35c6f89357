import type { Migration } from '../../backbone/storage/migrate.ts';
import { genesisHash } from './chain.ts';

/** The NOTIFY channel a staged record wakes the chainer on (sent by a trigger, at commit). */
export const auditPendingChannel = 'audit_pending';

/**
 * The audit log's tables (migration scope `audit`).
 *
 * - `audit_chain_head`: one row, the last sequence and hash. Every chaining round locks it
 *   `for update`, which serialises the chainers of every process into one total order; the
 *   sequence is taken from it, not from a database sequence, whose values are handed out at
 *   insert and so can commit out of order or leave gaps on rollback.
 * - `audit_log`: the entries. Triggers refuse UPDATE, DELETE and TRUNCATE, so the application (or
 *   an operator's slip) cannot rewrite history; someone who can drop the trigger can, and the hash
 *   chain is what catches that (`verifyAuditChain`).
 * - `audit_pending` (migration 2): records the consumer has taken but the chainer has not placed
 *   yet. The consumer only inserts here, so it never waits on the chain head; the chainer moves
 *   rows into `audit_log` and deletes them. A work queue, so DELETE is allowed; UPDATE and TRUNCATE
 *   are not, because a record must be chained exactly as it was consumed, and not lost.
 */
export const auditMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'audit log and chain head',
    sql: `
      create table audit_chain_head (
        id smallint primary key check (id = 1),
        last_sequence int8 not null,
        last_hash text not null
      );
      insert into audit_chain_head (id, last_sequence, last_hash) values (1, 0, '${genesisHash}');

      create table audit_log (
        sequence int8 primary key,
        event_id text not null unique,
        topic text not null,
        event_type text not null,
        schema_version int not null,
        event_key text not null,
        correlation_id text not null,
        causation_id text,
        occurred_at text not null,
        recorded_at timestamptz not null,
        payment_id text,
        payload_json text not null,
        prev_hash text not null,
        hash text not null
      );
      create index audit_log_by_correlation on audit_log (correlation_id, sequence);
      create index audit_log_by_payment on audit_log (payment_id, sequence) where payment_id is not null;

      create function audit_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'audit log is append-only: % on % refused', tg_op, tg_table_name
          using errcode = 'insufficient_privilege';
      end
      $$;
      create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function audit_refuse_change();
      create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_refuse_change();
      create trigger audit_chain_head_forward before update on audit_chain_head
        for each row when (new.last_sequence <= old.last_sequence) execute function audit_refuse_change();
      create trigger audit_chain_head_keep before delete on audit_chain_head
        for each row execute function audit_refuse_change();
      create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
        for each statement execute function audit_refuse_change();
    `,
  },
  {
    id: 2,
    name: 'audit pending queue, chained off the consumers path',
    sql: `
      create table audit_pending (
        -- Arrival order; values are allocated at insert, not commit, so the chainer never assumes
        -- they are gap-free or that a lower one cannot still commit (see chainer.ts).
        id bigserial primary key,
        event_id text not null unique,
        topic text not null,
        event_type text not null,
        schema_version int not null,
        event_key text not null,
        correlation_id text not null,
        causation_id text,
        occurred_at text not null,
        recorded_at timestamptz not null,
        payment_id text,
        payload_json text not null
      );

      create trigger audit_pending_frozen before update on audit_pending
        for each row execute function audit_refuse_change();
      -- The chainer deletes exactly the rows it took; a truncate could only lose records.
      create trigger audit_pending_no_truncate before truncate on audit_pending
        for each statement execute function audit_refuse_change();

      -- Row level, so a redelivery that inserts nothing wakes nobody; PostgreSQL folds the
      -- identical notifications of one transaction into one, delivered at commit.
      create function audit_pending_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('${auditPendingChannel}', '');
        return null;
      end
      $$;
      create trigger audit_pending_wake after insert on audit_pending
        for each row execute function audit_pending_notify();
    `,
  },
];
