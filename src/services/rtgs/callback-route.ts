import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GroupCommit } from '../../backbone/concurrency/group-commit.ts';
import { applyStatuses, reportDateOf, type AppliedStatus, type StatusApplierDeps, type StatusToApply } from './status-applier.ts';
import { parsePacs002 } from '../../contracts/iso20022/pacs002.ts';
import { Iso20022Messages, type XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { XmlReadError } from '../../contracts/iso20022/xml-reader.ts';
import { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';
import { handlerValidates, problemMediaType, rtgsCallbackSecurity } from '../http/openapi.ts';

export interface CallbackRouteOptions {
  path: string;
  callbackToken: string;
}

/**
 * `POST {path}`: the RTGS network delivers a pacs.002 asynchronously. The caller must present the
 * shared token in `X-Rtgs-Callback-Token`; the body must validate against pacs.002.001.10.
 *
 * 200 when every status was applied or was already applied (a repeat is a no-op), 409 when a UETR
 * is unknown (the network retries); errors are RFC 9457 problem+json. The XML and its parties are
 * never logged. Callbacks that arrive together are applied together, in one transaction (group
 * commit): the network answers every payment with a callback of its own.
 */
export function callbackRoutes(
  deps: StatusApplierDeps & { validator: XsdValidator },
  options: CallbackRouteOptions,
): (app: FastifyInstance) => Promise<void> {
  const expectedDigest = digest(options.callbackToken);
  const applying = new GroupCommit<readonly StatusToApply[], AppliedStatus[]>(
    async (reports) => {
      const applied = await applyStatuses(deps, reports.flat());
      let next = 0;
      return reports.map((statuses) => applied.slice(next, (next += statuses.length)));
    },
    { maxBatchItems: 200 },
  );
  return async (app) => {
    await app.register(async (scope) => {
      scope.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) =>
        done(null, body),
      );
      scope.post(options.path, { schema: callbackSchema, ...handlerValidates }, async (request, reply) => {
        const token = request.headers[RtgsProtocol.callbackTokenHeader];
        if (typeof token !== 'string' || !timingSafeEqual(digest(token), expectedDigest))
          return problem(reply, 401, 'Unauthorized', `missing or wrong ${RtgsProtocol.callbackTokenHeader}`);
        if (typeof request.body !== 'string') return problem(reply, 415, 'Unsupported Media Type', 'send the pacs.002 as application/xml');
        const validation = await deps.validator.validate(Iso20022Messages.pacs002, request.body);
        if (!validation.valid)
          return problem(reply, 400, 'Invalid pacs.002', 'the document does not validate against pacs.002.001.10', {
            errors: validation.errors.slice(0, 20),
          });
        let report;
        try {
          report = parsePacs002(request.body);
        } catch (error) {
          if (error instanceof XmlReadError) return problem(reply, 400, 'Invalid pacs.002', error.message);
          throw error;
        }
        const reportDate = reportDateOf(report, deps.clock);
        const applied = await applying.submit(report.transactions.map((status) => ({ status, reportDate, via: 'callback' as const })));
        const unknown = applied.filter((status) => status.outcome === 'unknown').map((status) => status.uetr);
        if (unknown.length > 0)
          return problem(reply, 409, 'Unknown UETR', 'no submission with this UETR (yet); retry later', { unknown, applied });
        return reply.code(200).send({ applied });
      });
    });
  };
}

const appliedSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      uetr: { type: 'string' },
      outcome: { type: 'string', enum: ['settled', 'rejected', 'pending', 'already-final', 'unknown'] },
    },
  },
} as const;

/** This route's problems predate the API's catalog: no `code`, and the details a network operator needs. */
const callbackProblem = (description: string) => ({
  description,
  content: {
    [problemMediaType]: {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          errors: { type: 'array', items: { type: 'string' }, description: 'Why the document does not validate (at most 20)' },
          unknown: { type: 'array', items: { type: 'string' }, description: 'The UETRs without a submission' },
          applied: appliedSchema,
        },
      },
    },
  },
});

// The body is checked by the handler (`handlerValidates`): a JSON body is refused as 415, not as a field.
const callbackSchema = {
  operationId: 'receivePacs002',
  tags: ['rtgs'],
  summary: 'The RTGS network delivers a pacs.002 payment status report (for the network, not for API clients)',
  security: rtgsCallbackSecurity,
  consumes: ['application/xml', 'text/xml'],
  body: { type: 'string', description: 'A pacs.002.001.10 document' },
  response: {
    200: { description: 'Every status was applied, or already had been', type: 'object', properties: { applied: appliedSchema } },
    400: callbackProblem('The document does not validate against pacs.002.001.10'),
    401: callbackProblem('Missing or wrong callback token'),
    409: callbackProblem('A UETR has no submission (yet); the network retries'),
    415: callbackProblem('The body must be application/xml'),
  },
};

function problem(reply: FastifyReply, status: number, title: string, detail: string, extra: Record<string, unknown> = {}): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, detail, ...extra });
}

/** Comparing fixed-length digests keeps the comparison constant-time whatever the token length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
