export { buildPacs008, parsePacs008, Iso20022BuildError, type CreditTransfer, type CreditTransferInput } from './pacs008.ts';
export { buildPacs002, parsePacs002, TransactionStatusCodes, type PaymentStatusReport, type TransactionStatus } from './pacs002.ts';
export { buildCamt053, closingBalanceMinor, type AccountStatement, type StatementEntry, type StatementMessage } from './camt053.ts';
export {
  XsdValidator,
  Iso20022Messages,
  defaultXsdDir,
  type Iso20022Message,
  type XsdValidation,
  type XsdValidatorOptions,
} from './xsd-validator.ts';
export { XmlReadError } from './xml-reader.ts';
export { isBic, isUetr, max35Id } from './identifiers.ts';
export { escapeXml } from './xml-builder.ts';
export { RtgsProtocol } from './rtgs-protocol.ts';
