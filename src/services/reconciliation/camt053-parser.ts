import { parseDecimal } from '../../contracts/money.ts';
import {
  XmlReadError,
  attribute,
  child,
  children,
  readXml,
  requiredText,
  text,
  type XmlNode,
} from '../../contracts/iso20022/xml-reader.ts';
import type { StatementRecord } from './domain/reconcile.ts';

/** A camt.053.001.08 BankToCustomerStatement as reconciliation reads it. */
export interface ParsedStatementMessage {
  messageId: string;
  statements: ParsedAccountStatement[];
}

export interface ParsedAccountStatement {
  id: string;
  /** Acct/Id: the IBAN or the other identifier of the account. */
  accountId: string | undefined;
  currency: string | undefined;
  /** FrToDt/FrDtTm and ToDtTm as written. */
  from: string | undefined;
  to: string | undefined;
  /** Booked entries only (Sts BOOK): pending and informational entries are no settlement. */
  entries: StatementRecord[];
}

/**
 * Reads a camt.053.001.08 that has already passed the XSD. Amounts are read as exact decimal
 * strings into minor units of their currency. An entry (Ntry) normally books one transfer: its
 * UETR and EndToEndId come from its one TxDtls, its amount from the entry itself (what the account
 * was actually debited or credited). A batch entry of several TxDtls is split into one record per
 * transaction, each with the transaction's own amount (TxDtls/Amt or AmtDtls/TxAmt/Amt), which
 * must then be present.
 *
 * Throws `XmlReadError` when the document is not a camt.053 or an amount cannot be read.
 */
export function parseCamt053(xml: string): ParsedStatementMessage {
  const root = child(readXml(xml), 'Document/BkToCstmrStmt');
  if (!root) throw new XmlReadError('not a camt.053 BkToCstmrStmt document');
  return {
    messageId: requiredText(root, 'GrpHdr/MsgId'),
    statements: children(root, 'Stmt').map((statement) => ({
      id: requiredText(statement, 'Id'),
      accountId: text(statement, 'Acct/Id/IBAN') ?? text(statement, 'Acct/Id/Othr/Id'),
      currency: text(statement, 'Acct/Ccy'),
      from: text(statement, 'FrToDt/FrDtTm'),
      to: text(statement, 'FrToDt/ToDtTm'),
      entries: children(statement, 'Ntry')
        .filter((entry) => (text(entry, 'Sts/Cd') ?? text(entry, 'Sts/Prtry')) === 'BOOK')
        .flatMap(entryRecords),
    })),
  };
}

function entryRecords(entry: XmlNode): StatementRecord[] {
  const creditDebit = direction(requiredText(entry, 'CdtDbtInd'), 'Ntry/CdtDbtInd');
  const reference = text(entry, 'AcctSvcrRef');
  const booked = amountOf(entry, 'Amt', 'Ntry/Amt');
  const transactions = children(entry, 'NtryDtls').flatMap((details) => children(details, 'TxDtls'));
  if (transactions.length === 0)
    return [{ uetr: undefined, amountMinor: booked.amountMinor, currency: booked.currency, creditDebit, reference }];
  if (transactions.length === 1) {
    const [only] = transactions as [XmlNode];
    return [
      {
        uetr: text(only, 'Refs/UETR'),
        endToEndId: text(only, 'Refs/EndToEndId'),
        amountMinor: booked.amountMinor,
        currency: booked.currency,
        creditDebit,
        reference,
      },
    ];
  }
  return transactions.map((transaction) => {
    const path = text(transaction, 'Amt') !== undefined ? 'Amt' : 'AmtDtls/TxAmt/Amt';
    const amount = amountOf(transaction, path, `TxDtls/${path}`);
    const own = text(transaction, 'CdtDbtInd');
    return {
      uetr: text(transaction, 'Refs/UETR'),
      endToEndId: text(transaction, 'Refs/EndToEndId'),
      amountMinor: amount.amountMinor,
      currency: amount.currency,
      creditDebit: own === undefined ? creditDebit : direction(own, 'TxDtls/CdtDbtInd'),
      reference,
    };
  });
}

function amountOf(node: XmlNode, path: string, name: string): { amountMinor: bigint; currency: string } {
  const currency = attribute(node, path, 'Ccy');
  const value = text(node, path);
  if (currency === undefined || value === undefined) throw new XmlReadError(`missing ${name}`);
  const parsed = parseDecimal(value, currency);
  if (!parsed.ok) throw new XmlReadError(`${name}: ${parsed.failure}`);
  return { amountMinor: parsed.amountMinor, currency };
}

function direction(value: string, name: string): 'CRDT' | 'DBIT' {
  if (value !== 'CRDT' && value !== 'DBIT') throw new XmlReadError(`${name} must be CRDT or DBIT`);
  return value;
}
