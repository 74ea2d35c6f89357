import { formatDecimal, parseDecimal } from '../money.ts';
import { el, fitText, renderXmlDocument } from './xml-builder.ts';
import { XmlReadError, attribute, child, children, readXml, requiredText, text, type XmlNode } from './xml-reader.ts';
import { Iso20022Messages } from './xsd-validator.ts';
import { agent } from './pacs008.ts';

const namespace = `urn:iso:std:iso:20022:tech:xsd:${Iso20022Messages.pacs002}`;

/** The ExternalPaymentTransactionStatus1Code values paystream acts on. */
export const TransactionStatusCodes = {
  /** Accepted, settlement completed (on the debtor side): final, settled. */
  ACSC: 'ACSC',
  /** Accepted, settlement completed on the creditor's account: final, settled. */
  ACCC: 'ACCC',
  /** Rejected: final; StsRsnInf carries the reason. */
  RJCT: 'RJCT',
  /** Pending: the network has it, no decision yet. */
  PDNG: 'PDNG',
  /** Accepted, settlement in process: not final yet. */
  ACSP: 'ACSP',
  /** Accepted technical validation: not final yet. */
  ACTC: 'ACTC',
} as const;

/** One pacs.002.001.10 FIToFIPaymentStatusReport. */
export interface PaymentStatusReport {
  messageId: string;
  createdAt: string;
  instructingAgentBic?: string | undefined;
  instructedAgentBic?: string | undefined;
  /** OrgnlGrpInfAndSts/OrgnlMsgId: the pacs.008 this report answers. */
  originalMessageId?: string | undefined;
  transactions: TransactionStatus[];
}

export interface TransactionStatus {
  uetr: string;
  originalInstructionId?: string | undefined;
  originalEndToEndId?: string | undefined;
  /** TxSts, e.g. ACSC, RJCT, PDNG. */
  status: string;
  /** StsRsnInf/Rsn/Cd (ExternalStatusReason1Code), for RJCT. */
  reasonCode?: string | undefined;
  /** StsRsnInf/AddtlInf. */
  reasonText?: string | undefined;
  acceptedAt?: string | undefined;
  /** FctvIntrBkSttlmDt/Dt, YYYY-MM-DD: the day it settled. */
  settlementDate?: string | undefined;
  amountMinor?: bigint | undefined;
  currency?: string | undefined;
  clearingSystemReference?: string | undefined;
}

/** Builds a pacs.002.001.10 with one TxInfAndSts per transaction status. */
export function buildPacs002(report: PaymentStatusReport): string {
  const document = el(
    'Document',
    { xmlns: namespace },
    el(
      'FIToFIPmtStsRpt',
      el(
        'GrpHdr',
        el('MsgId', report.messageId),
        el('CreDtTm', report.createdAt),
        report.instructingAgentBic && el('InstgAgt', agent(report.instructingAgentBic)),
        report.instructedAgentBic && el('InstdAgt', agent(report.instructedAgentBic)),
      ),
      report.originalMessageId &&
        el('OrgnlGrpInfAndSts', el('OrgnlMsgId', report.originalMessageId), el('OrgnlMsgNmId', Iso20022Messages.pacs008)),
      report.transactions.map((tx) => {
        const reasonText = fitText(tx.reasonText, 105);
        return el(
          'TxInfAndSts',
          tx.originalInstructionId && el('OrgnlInstrId', tx.originalInstructionId),
          tx.originalEndToEndId && el('OrgnlEndToEndId', tx.originalEndToEndId),
          el('OrgnlUETR', tx.uetr),
          el('TxSts', tx.status),
          (tx.reasonCode || reasonText) &&
            el('StsRsnInf', tx.reasonCode && el('Rsn', el('Cd', tx.reasonCode)), reasonText && el('AddtlInf', reasonText)),
          tx.acceptedAt && el('AccptncDtTm', tx.acceptedAt),
          tx.settlementDate && el('FctvIntrBkSttlmDt', el('Dt', tx.settlementDate)),
          tx.clearingSystemReference && el('ClrSysRef', tx.clearingSystemReference),
          tx.amountMinor !== undefined &&
            tx.currency &&
            el('OrgnlTxRef', el('IntrBkSttlmAmt', { Ccy: tx.currency }, formatDecimal(tx.amountMinor, tx.currency))),
        );
      }),
    ),
  );
  return renderXmlDocument(document);
}

/** Reads a pacs.002; throws `XmlReadError` when it is not one or a status lacks its UETR. */
export function parsePacs002(xml: string): PaymentStatusReport {
  const root = child(readXml(xml), 'Document/FIToFIPmtStsRpt');
  if (!root) throw new XmlReadError('not a pacs.002 FIToFIPmtStsRpt document');
  const header = child(root, 'GrpHdr');
  return {
    messageId: requiredText(header, 'MsgId'),
    createdAt: requiredText(header, 'CreDtTm'),
    instructingAgentBic: text(header, 'InstgAgt/FinInstnId/BICFI'),
    instructedAgentBic: text(header, 'InstdAgt/FinInstnId/BICFI'),
    originalMessageId: text(root, 'OrgnlGrpInfAndSts/OrgnlMsgId'),
    transactions: children(root, 'TxInfAndSts').map(transactionStatus),
  };
}

function transactionStatus(tx: XmlNode): TransactionStatus {
  const currency = attribute(tx, 'OrgnlTxRef/IntrBkSttlmAmt', 'Ccy');
  const amountText = text(tx, 'OrgnlTxRef/IntrBkSttlmAmt');
  const amount = currency && amountText ? parseDecimal(amountText, currency) : undefined;
  if (amount && !amount.ok) throw new XmlReadError(`OrgnlTxRef/IntrBkSttlmAmt: ${amount.failure}`);
  const reasons = children(tx, 'StsRsnInf');
  return {
    uetr: requiredText(tx, 'OrgnlUETR'),
    originalInstructionId: text(tx, 'OrgnlInstrId'),
    originalEndToEndId: text(tx, 'OrgnlEndToEndId'),
    status: requiredText(tx, 'TxSts'),
    reasonCode: reasons.map((reason) => text(reason, 'Rsn/Cd') ?? text(reason, 'Rsn/Prtry')).find((code) => code !== undefined),
    reasonText: reasons.flatMap((reason) => children(reason, 'AddtlInf').map((line) => String(line['#text'] ?? ''))).join(' ') || undefined,
    acceptedAt: text(tx, 'AccptncDtTm'),
    settlementDate:
      text(tx, 'FctvIntrBkSttlmDt/Dt') ?? text(tx, 'FctvIntrBkSttlmDt/DtTm')?.slice(0, 10) ?? text(tx, 'OrgnlTxRef/IntrBkSttlmDt'),
    amountMinor: amount?.ok ? amount.amountMinor : undefined,
    currency,
    clearingSystemReference: text(tx, 'ClrSysRef'),
  };
}
