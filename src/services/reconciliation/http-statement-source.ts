import { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';
import { Iso20022Messages, type XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { XmlReadError } from '../../contracts/iso20022/xml-reader.ts';
import { parseCamt053, type ParsedStatementMessage } from './camt053-parser.ts';
import { ReconciliationError, ReconciliationErrorCodes } from './errors.ts';
import type { FetchedStatement, StatementSource } from './statement-source.ts';

export interface HttpStatementSourceOptions {
  /** Base URL of the RTGS network, e.g. `http://127.0.0.1:4100`. */
  networkUrl: string;
  /** Our BIC: asks for our settlement account's statement only (`?participant=`). */
  participantBic: string;
  /** When set, only statements of this account are read (Acct/Id). */
  settlementAccountId?: string | undefined;
  /** Per request. */
  timeoutMs: number;
  validator: XsdValidator;
}

/**
 * The statement from the RTGS network over HTTP: `GET {network}/statements/{date}?participant=<BIC>`
 * (see `RtgsProtocol`), validated against camt.053.001.08 and parsed. A 404 is the network saying
 * it booked nothing for us that day. No circuit breaker: this is one call a day, and a failure is
 * simply retried by the scheduler.
 */
export function httpStatementSource(options: HttpStatementSourceOptions): StatementSource {
  const baseUrl = options.networkUrl.replace(/\/+$/, '');
  return {
    async statementFor(date) {
      const url = `${baseUrl}${RtgsProtocol.statementPath(date)}?participant=${encodeURIComponent(options.participantBic)}`;
      let response: Response;
      let body: string;
      try {
        response = await fetch(url, { headers: { accept: 'application/xml' }, signal: AbortSignal.timeout(options.timeoutMs) });
        body = await response.text();
      } catch (error) {
        throw new ReconciliationError(
          ReconciliationErrorCodes.STATEMENT_UNAVAILABLE,
          `the RTGS network's statement of ${date} could not be fetched`,
          { cause: error },
        );
      }
      if (response.status === 404) return { messageId: undefined, entries: [] };
      if (response.status !== 200)
        throw new ReconciliationError(
          ReconciliationErrorCodes.STATEMENT_UNAVAILABLE,
          `the RTGS network answered HTTP ${response.status} for the statement of ${date}`,
        );
      return readStatement(body, date, options);
    },
  };
}

/**
 * Validates and parses a camt.053 of `date`; shared by every source that gets the XML somehow.
 * Rejects a statement whose period is another day: reconciling it against the wrong day's books
 * would report every entry as a break.
 */
export async function readStatement(
  xml: string,
  date: string,
  options: { validator: XsdValidator; settlementAccountId?: string | undefined },
): Promise<FetchedStatement> {
  const validation = await options.validator.validate(Iso20022Messages.camt053, xml);
  if (!validation.valid)
    throw new ReconciliationError(
      ReconciliationErrorCodes.STATEMENT_INVALID,
      `the statement of ${date} does not validate against camt.053.001.08: ${validation.errors.slice(0, 3).join('; ')}`,
    );
  let message: ParsedStatementMessage;
  try {
    message = parseCamt053(xml);
  } catch (error) {
    if (error instanceof XmlReadError)
      throw new ReconciliationError(
        ReconciliationErrorCodes.STATEMENT_INVALID,
        `the statement of ${date} cannot be read: ${error.message}`,
        { cause: error },
      );
    throw error;
  }
  const statements = message.statements.filter(
    (statement) => options.settlementAccountId === undefined || statement.accountId === options.settlementAccountId,
  );
  for (const statement of statements) {
    if (statement.from !== undefined && !statement.from.startsWith(date)) {
      throw new ReconciliationError(
        ReconciliationErrorCodes.STATEMENT_INVALID,
        `statement ${statement.id} covers ${statement.from.slice(0, 10)}, not ${date}`,
      );
    }
  }
  return { messageId: message.messageId, entries: statements.flatMap((statement) => statement.entries) };
}
