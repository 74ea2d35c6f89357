import { formatDecimal } from '../money.ts';
import { el, renderXmlDocument, type XmlElement } from './xml-builder.ts';
import { Iso20022Messages } from './xsd-validator.ts';
import { account, agent } from './pacs008.ts';

const namespace = `urn:iso:std:iso:20022:tech:xsd:${Iso20022Messages.camt053}`;

/** One camt.053.001.08 BankToCustomerStatement: one Stmt per settlement account and currency. */
export interface StatementMessage {
  messageId: string;
  createdAt: string;
  statements: AccountStatement[];
}

export interface AccountStatement {
  /** Stmt/Id, at most 35 characters. */
  id: string;
  /** The account the statement is of (IBAN or other identifier). */
  accountId: string;
  currency: string;
  /** Who keeps the account (the RTGS operator). */
  servicerBic: string;
  /** The business day, YYYY-MM-DD. */
  date: string;
  /** Signed minor units: the closing balance of the previous business day. */
  openingBalanceMinor: bigint;
  entries: StatementEntry[];
}

export interface StatementEntry {
  /** AcctSvcrRef: the operator's reference of the settlement, at most 35 characters. */
  reference: string;
  /** Positive minor units. */
  amountMinor: bigint;
  direction: 'CRDT' | 'DBIT';
  /** ISO 8601 date-time of the booking. */
  bookedAt: string;
  valueDate: string;
  messageId: string;
  instructionId?: string | undefined;
  endToEndId: string;
  uetr: string;
}

/**
 * Builds an end-of-day camt.053.001.08: per account, the opening and closing booked balances
 * (OPBD, CLBD), a summary of the entries, and one booked entry (Sts BOOK) per settled transfer with
 * its references (MsgId, InstrId, EndToEndId, UETR). Amounts are exact minor units formatted with
 * the currency's decimals.
 */
export function buildCamt053(message: StatementMessage): string {
  const document = el(
    'Document',
    { xmlns: namespace },
    el(
      'BkToCstmrStmt',
      el('GrpHdr', el('MsgId', message.messageId), el('CreDtTm', message.createdAt)),
      message.statements.map((statement) => accountStatement(statement, message.createdAt)),
    ),
  );
  return renderXmlDocument(document);
}

/** The closing balance of a statement (signed minor units). */
export function closingBalanceMinor(statement: Pick<AccountStatement, 'openingBalanceMinor' | 'entries'>): bigint {
  return statement.entries.reduce(
    (balance, entry) => balance + (entry.direction === 'CRDT' ? entry.amountMinor : -entry.amountMinor),
    statement.openingBalanceMinor,
  );
}

function accountStatement(statement: AccountStatement, createdAt: string): XmlElement {
  const { currency } = statement;
  const credits = statement.entries.filter((entry) => entry.direction === 'CRDT');
  const debits = statement.entries.filter((entry) => entry.direction === 'DBIT');
  const sum = (entries: readonly StatementEntry[]) =>
    formatDecimal(
      entries.reduce((total, entry) => total + entry.amountMinor, 0n),
      currency,
    );
  return el(
    'Stmt',
    el('Id', statement.id),
    el('CreDtTm', createdAt),
    el('FrToDt', el('FrDtTm', `${statement.date}T00:00:00Z`), el('ToDtTm', `${statement.date}T23:59:59Z`)),
    el('Acct', account(statement.accountId), el('Ccy', currency), el('Svcr', agent(statement.servicerBic))),
    balance('OPBD', statement.openingBalanceMinor, currency, statement.date),
    balance('CLBD', closingBalanceMinor(statement), currency, statement.date),
    el(
      'TxsSummry',
      el('TtlNtries', el('NbOfNtries', String(statement.entries.length)), el('Sum', sum(statement.entries))),
      el('TtlCdtNtries', el('NbOfNtries', String(credits.length)), el('Sum', sum(credits))),
      el('TtlDbtNtries', el('NbOfNtries', String(debits.length)), el('Sum', sum(debits))),
    ),
    statement.entries.map((entry) => statementEntry(entry, currency)),
  );
}

function balance(type: 'OPBD' | 'CLBD', amountMinor: bigint, currency: string, date: string): XmlElement {
  return el(
    'Bal',
    el('Tp', el('CdOrPrtry', el('Cd', type))),
    el('Amt', { Ccy: currency }, formatDecimal(amountMinor < 0n ? -amountMinor : amountMinor, currency)),
    el('CdtDbtInd', amountMinor < 0n ? 'DBIT' : 'CRDT'),
    el('Dt', el('Dt', date)),
  );
}

function statementEntry(entry: StatementEntry, currency: string): XmlElement {
  const amount = el('Amt', { Ccy: currency }, formatDecimal(entry.amountMinor, currency));
  // ISO bank transaction codes: payments (PMNT), issued (ICDT) or received (RCDT) credit transfers, domestic (DMCT).
  const family = entry.direction === 'DBIT' ? 'ICDT' : 'RCDT';
  return el(
    'Ntry',
    amount,
    el('CdtDbtInd', entry.direction),
    el('Sts', el('Cd', 'BOOK')),
    el('BookgDt', el('DtTm', entry.bookedAt)),
    el('ValDt', el('Dt', entry.valueDate)),
    el('AcctSvcrRef', entry.reference),
    el('BkTxCd', el('Domn', el('Cd', 'PMNT'), el('Fmly', el('Cd', family), el('SubFmlyCd', 'DMCT')))),
    el(
      'NtryDtls',
      el(
        'TxDtls',
        el(
          'Refs',
          el('MsgId', entry.messageId),
          entry.instructionId && el('InstrId', entry.instructionId),
          el('EndToEndId', entry.endToEndId),
          el('UETR', entry.uetr),
        ),
        el('Amt', { Ccy: currency }, formatDecimal(entry.amountMinor, currency)),
        el('CdtDbtInd', entry.direction),
      ),
    ),
  );
}
