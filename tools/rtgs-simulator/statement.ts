import type { AccountStatement, StatementEntry, StatementMessage } from '../../src/contracts/iso20022/camt053.ts';
import type { Entry } from './store.ts';

/**
 * The end-of-day statement of the simulated RTGS: one account per participant (BIC) and currency,
 * debited for the transfers it instructed and credited for those its customers received, for the
 * transfers settled (ACSC) on `date`. The opening balance is the net of every earlier settlement
 * (the simulator starts every account at zero). Participants without a settlement that day and
 * with a zero balance are left out.
 */
export function endOfDayStatement(
  entries: readonly Entry[],
  date: string,
  settings: { operatorBic: string; createdAt: string; participant?: string | undefined },
): StatementMessage {
  const accounts = new Map<string, AccountStatement>();
  const settled = entries
    .filter((entry) => entry.decision?.status === 'ACSC' && entry.decision.settlementDate <= date)
    .sort((a, b) => a.decision!.decidedAtMs - b.decision!.decidedAtMs);
  for (const { transfer, decision } of settled) {
    const amountMinor = BigInt(transfer.amountMinor);
    for (const [bic, direction] of [
      [transfer.instructingAgentBic, 'DBIT'],
      [transfer.creditorAgentBic, 'CRDT'],
    ] as const) {
      if (settings.participant !== undefined && bic !== settings.participant) continue;
      const key = `${bic}|${transfer.currency}`;
      let account = accounts.get(key);
      if (!account) {
        account = {
          id: `${bic}-${transfer.currency}-${date.replaceAll('-', '')}`,
          accountId: `RTGS${bic}`,
          currency: transfer.currency,
          servicerBic: settings.operatorBic,
          date,
          openingBalanceMinor: 0n,
          entries: [],
        };
        accounts.set(key, account);
      }
      if (decision!.settlementDate < date) {
        account.openingBalanceMinor += direction === 'CRDT' ? amountMinor : -amountMinor;
        continue;
      }
      const entry: StatementEntry = {
        reference: decision!.reference,
        amountMinor,
        direction,
        bookedAt: new Date(decision!.decidedAtMs).toISOString(),
        valueDate: date,
        messageId: transfer.messageId,
        instructionId: transfer.instructionId,
        endToEndId: transfer.endToEndId,
        uetr: transfer.uetr,
      };
      account.entries.push(entry);
    }
  }
  const statements = [...accounts.values()]
    .filter((account) => account.entries.length > 0 || account.openingBalanceMinor !== 0n)
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    messageId: `STMT${date.replaceAll('-', '')}${settings.createdAt.replace(/\D/g, '').slice(8, 17)}`,
    createdAt: settings.createdAt,
    statements,
  };
}
