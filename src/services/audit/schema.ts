import type { Migration } from '../../backbone/storage/migrate.ts';
import { genesisHash } from './chain.ts';

/**
 * The audit log's tables (migration scope `audit`).
 *
 * - `audit_chain_head`: one row, the last sequence and hash. Every append locks it `for update`,
 *   which serialises appends from concurrent transactions into one total order; the sequence is
 *   taken from it, not from a database sequence, whose values are handed out at insert and so
 *   can commit out of order or leave gaps on rollback.
 * - `audit_log`: the entries. Triggers refuse UPDATE, DELETE and TRUNCATE, so the application (or
 *   an operator's slip) cannot rewrite history; someone who can drop the trigger can, and the hash
 *   chain is what catches that (`verifyAuditChain`).
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
];
