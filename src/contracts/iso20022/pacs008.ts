import { isValidIBAN } from 'ibantools';
import { formatDecimal, parseDecimal } from '../money.ts';
import type { Party, PaymentOrder } from '../payment.ts';
import { el, fitText, renderXmlDocument, splitText, type XmlContent, type XmlElement } from './xml-builder.ts';
import { XmlReadError, attribute, child, children, readXml, requiredText, text, type XmlNode } from './xml-reader.ts';
import { Iso20022Messages } from './xsd-validator.ts';
import { max35Id } from './identifiers.ts';

const namespace = `urn:iso:std:iso:20022:tech:xsd:${Iso20022Messages.pacs008}`;

/** What one pacs.008 (one credit transfer per message) is built from. */
export interface CreditTransferInput {
  /** GrpHdr/MsgId, at most 35 characters. */
  messageId: string;
  /** GrpHdr/CreDtTm, ISO 8601. */
  createdAt: string;
  /** IntrBkSttlmDt, YYYY-MM-DD. */
  settlementDate: string;
  /** Our bank (InstgAgt), the participant that sends the message. */
  instructingAgentBic: string;
  /** The RTGS operator or the receiving participant (InstdAgt). */
  instructedAgentBic: string;
  payment: PaymentOrder;
}

/** A credit transfer as read from a pacs.008: the references and amounts, never used for logs. */
export interface CreditTransfer {
  messageId: string;
  createdAt: string;
  instructionId: string | undefined;
  endToEndId: string;
  uetr: string;
  amountMinor: bigint;
  currency: string;
  settlementDate: string | undefined;
  instructingAgentBic: string | undefined;
  instructedAgentBic: string | undefined;
  debtorAgentBic: string | undefined;
  creditorAgentBic: string | undefined;
  debtorAccount: string | undefined;
  creditorAccount: string | undefined;
  creditorName: string | undefined;
  remittanceInformation: string[];
}

export class Iso20022BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Iso20022BuildError';
  }
}

/**
 * Builds an ISO 20022 pacs.008.001.08 FIToFICustomerCreditTransfer for one payment, settled by
 * clearing (SttlmMtd CLRG), charges shared by service level (ChrgBr SLEV). The amount is written
 * with exactly the currency's minor units (`formatDecimal`), never through a float. Names and
 * remittance text are cut to the schema's lengths (remittance in 140-character lines, nothing
 * lost); a missing creditor agent is an error, because the RTGS cannot route without it.
 */
export function buildPacs008(input: CreditTransferInput): string {
  const { payment } = input;
  const creditorAgent = payment.creditor.agent;
  if (!creditorAgent) throw new Iso20022BuildError('the creditor agent (BIC) is required for an RTGS payment');
  const remittance = splitText(payment.remittanceInformation, 140);
  const transaction = el(
    'CdtTrfTxInf',
    el(
      'PmtId',
      el('InstrId', max35Id(payment.paymentId)),
      el('EndToEndId', fitText(payment.endToEndId, 35) ?? 'NOTPROVIDED'),
      el('UETR', payment.uetr),
    ),
    el('IntrBkSttlmAmt', { Ccy: payment.currency }, formatDecimal(payment.amountMinor, payment.currency)),
    el('IntrBkSttlmDt', input.settlementDate),
    el('ChrgBr', 'SLEV'),
    el('InstgAgt', agent(input.instructingAgentBic)),
    el('InstdAgt', agent(input.instructedAgentBic)),
    el('Dbtr', party(payment.debtor)),
    el('DbtrAcct', account(payment.debtor.account)),
    el('DbtrAgt', agent(payment.debtor.agent ?? input.instructingAgentBic)),
    el('CdtrAgt', agent(creditorAgent)),
    el('Cdtr', party(payment.creditor)),
    el('CdtrAcct', account(payment.creditor.account)),
    remittance.length > 0 &&
      el(
        'RmtInf',
        remittance.map((line) => el('Ustrd', line)),
      ),
  );
  const document = el(
    'Document',
    { xmlns: namespace },
    el(
      'FIToFICstmrCdtTrf',
      el(
        'GrpHdr',
        el('MsgId', input.messageId),
        el('CreDtTm', input.createdAt),
        el('NbOfTxs', '1'),
        el('SttlmInf', el('SttlmMtd', 'CLRG')),
      ),
      transaction,
    ),
  );
  return renderXmlDocument(document);
}

/** Reads the (first) credit transfer of a pacs.008; throws `XmlReadError` when a part is missing. */
export function parsePacs008(xml: string): CreditTransfer {
  const root = child(readXml(xml), 'Document/FIToFICstmrCdtTrf');
  if (!root) throw new XmlReadError('not a pacs.008 FIToFICstmrCdtTrf document');
  const header = child(root, 'GrpHdr');
  const transactions = children(root, 'CdtTrfTxInf');
  if (transactions.length !== 1) throw new XmlReadError(`expected one CdtTrfTxInf, found ${transactions.length}`);
  const tx = transactions[0]!;
  const currency = attribute(tx, 'IntrBkSttlmAmt', 'Ccy');
  if (!currency) throw new XmlReadError('missing IntrBkSttlmAmt/@Ccy');
  const amount = parseDecimal(requiredText(tx, 'IntrBkSttlmAmt'), currency, { positive: true });
  if (!amount.ok) throw new XmlReadError(`IntrBkSttlmAmt: ${amount.failure}`);
  return {
    messageId: requiredText(header, 'MsgId'),
    createdAt: requiredText(header, 'CreDtTm'),
    instructionId: text(tx, 'PmtId/InstrId'),
    endToEndId: requiredText(tx, 'PmtId/EndToEndId'),
    uetr: requiredText(tx, 'PmtId/UETR'),
    amountMinor: amount.amountMinor,
    currency,
    settlementDate: text(tx, 'IntrBkSttlmDt') ?? text(header, 'IntrBkSttlmDt'),
    instructingAgentBic: text(tx, 'InstgAgt/FinInstnId/BICFI') ?? text(header, 'InstgAgt/FinInstnId/BICFI'),
    instructedAgentBic: text(tx, 'InstdAgt/FinInstnId/BICFI') ?? text(header, 'InstdAgt/FinInstnId/BICFI'),
    debtorAgentBic: text(tx, 'DbtrAgt/FinInstnId/BICFI'),
    creditorAgentBic: text(tx, 'CdtrAgt/FinInstnId/BICFI'),
    debtorAccount: accountOf(tx, 'DbtrAcct'),
    creditorAccount: accountOf(tx, 'CdtrAcct'),
    creditorName: text(tx, 'Cdtr/Nm'),
    remittanceInformation: children(tx, 'RmtInf/Ustrd').map((line) => String(line['#text'] ?? '')),
  };
}

/** `BranchAndFinancialInstitutionIdentification6` by BIC. */
export function agent(bic: string): XmlElement {
  return el('FinInstnId', el('BICFI', bic));
}

/** `CashAccount38`: the IBAN when the account is one, otherwise `Othr/Id`. */
export function account(identifier: string): XmlElement {
  const compact = identifier.replace(/\s+/g, '');
  if (isValidIBAN(compact)) return el('Id', el('IBAN', compact));
  const other = fitText(identifier, 34);
  if (!other) throw new Iso20022BuildError('an account identifier is empty');
  return el('Id', el('Othr', el('Id', other)));
}

/**
 * `PartyIdentification135`: name, postal address, and for a natural person the date and place of
 * birth and a national identifier (what the FATF Travel Rule asks to travel with the payment).
 */
function party(value: Party): XmlContent[] {
  const name = fitText(value.name, 140);
  const address = value.postalAddress;
  const privateIds: XmlContent[] = [
    value.dateOfBirth && value.placeOfBirth
      ? el(
          'DtAndPlcOfBirth',
          el('BirthDt', value.dateOfBirth),
          el('CityOfBirth', fitText(value.placeOfBirth.city, 35) ?? '-'),
          el('CtryOfBirth', value.placeOfBirth.country),
        )
      : false,
    value.nationalId
      ? el(
          'Othr',
          el('Id', fitText(value.nationalId.id, 35) ?? '-'),
          el('SchmeNm', el('Cd', personIdSchemeCodes[value.nationalId.scheme] ?? 'NIDN')),
          value.nationalId.issuer ? el('Issr', value.nationalId.issuer) : false,
        )
      : false,
  ];
  return [
    name !== undefined && el('Nm', name),
    address
      ? el(
          'PstlAdr',
          address.streetName ? el('StrtNm', fitText(address.streetName, 70)!) : false,
          address.buildingNumber ? el('BldgNb', fitText(address.buildingNumber, 16)!) : false,
          address.postCode ? el('PstCd', fitText(address.postCode, 16)!) : false,
          el('TwnNm', fitText(address.townName, 35)!),
          el('Ctry', address.country),
        )
      : false,
    privateIds.some(Boolean) ? el('Id', el('PrvtId', ...privateIds)) : false,
    value.country !== null && /^[A-Z]{2}$/.test(value.country) && el('CtryOfRes', value.country),
  ];
}

/** ISO 20022 ExternalPersonIdentification1Code for each scheme the API accepts. */
const personIdSchemeCodes: Record<string, string> = {
  PASSPORT: 'CCPT',
  NATIONAL_ID: 'NIDN',
  TAX_ID: 'TXID',
  DRIVERS_LICENSE: 'DRLC',
  OTHER: 'NIDN',
};

function accountOf(tx: XmlNode, path: string): string | undefined {
  return text(tx, `${path}/Id/IBAN`) ?? text(tx, `${path}/Id/Othr/Id`);
}
