import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BackboneError } from '../../backbone/errors.ts';
import { ProblemError, problemOf, sendProblem, type Problem } from './problem.ts';

/**
 * Turns every error into RFC 9457 problem+json with a stable code: our `ProblemError`s as they
 * are, Fastify's request validation (JSON schema) and body parsing errors mapped to precise codes,
 * a database or broker outage to 503, and anything else to a 500 that reveals nothing.
 */
export function installProblemErrorHandler(app: FastifyInstance, logError: (error: unknown) => void): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) return sendProblem(reply, error.problem);
    const problem = fastifyProblem(error, request.headers['content-type']);
    if (problem) return sendProblem(reply, problem);
    if (error instanceof BackboneError && error.retryable) {
      reply.header('retry-after', '1');
      return sendProblem(reply, problemOf('service-unavailable', 'a dependency is unavailable; nothing was accepted, retry later'));
    }
    // Name, code and message only: a database driver's error detail can quote the row (personal data).
    logError({ name: error.name, code: error.code, message: error.message });
    return sendProblem(reply, problemOf('internal-error', 'the request could not be completed; nothing was accepted'));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // Fastify answers 404 for a known path with another method; the client should hear that the
    // resource exists and which methods it takes.
    const allowed = routeMethods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) return sendProblem(reply, problemOf('not-found', `no route ${request.method} ${path}`));
    reply.header('allow', allowed.join(', '));
    return sendProblem(reply, problemOf('method-not-allowed', `${path} takes ${allowed.join(', ')}, not ${request.method}`));
  });
}

/**
 * Fastify's `frameworkErrors`: the router's refusals, which otherwise answer Fastify's own JSON
 * before any error handler runs (a path segment over `maxParamLength`, broken percent-encoding).
 */
export function frameworkErrorProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      void sendProblem(reply, problemOf('uri-too-long', `a path segment is longer than ${maxParamLength} characters`));
      return;
    case 'FST_ERR_BAD_URL':
      void sendProblem(reply, problemOf('malformed-url', 'the path is not valid percent-encoding'));
      return;
    default:
      void sendProblem(reply, problemOf('internal-error', 'the request could not be routed'));
  }
}

/** The longest path parameter the router takes (Fastify's default); longer is `uri-too-long`. */
export const maxParamLength = 100;

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes before there was a request
 * (headers over the server's limit, which a very long URL also is; not HTTP at all; too slow), so
 * the problem is written to the socket as it is, and the connection closed.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? problemOf('headers-too-large', 'the request line and headers are larger than this server accepts (a URL that long is also refused)')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? problemOf('request-timeout', 'the request was not received in time')
        : problemOf('malformed-request', 'the request is not valid HTTP/1.1');
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const routeMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The Idempotency-Key header has problem codes of its own (clients branch on them): a route that
 * requires it in its header schema answers these, not `missing-field`/`invalid-field`.
 */
export const idempotencyKeyProblems = {
  missing: () =>
    problemOf('idempotency-key-missing', 'send an Idempotency-Key header (e.g. a UUID) so a retried request makes one payment'),
  invalid: () => problemOf('idempotency-key-invalid', 'the Idempotency-Key must be 1 to 255 printable ASCII characters'),
};

function fastifyProblem(error: FastifyError, contentType: string | undefined): Problem | undefined {
  // Fastify parses text/plain out of the box, so a JSON document sent as text/plain reaches the
  // body schema as a string and fails it as "body must be object". The client's mistake is the
  // media type, not a field: every route with a body schema takes JSON only.
  if (error.validation && error.validationContext === 'body' && contentType !== undefined && !isJsonMediaType(contentType)) {
    return problemOf('unsupported-media-type', `the body must be application/json, not ${contentType.split(';')[0]!.trim()}`);
  }
  if (error.validation && error.validation.length > 0) {
    const [first] = error.validation;
    const issue = first!;
    const base = issue.instancePath || '';
    const params = issue.params as Record<string, unknown>;
    if (error.validationContext === 'headers' && (params.missingProperty === 'idempotency-key' || base === '/idempotency-key')) {
      return issue.keyword === 'required' ? idempotencyKeyProblems.missing() : idempotencyKeyProblems.invalid();
    }
    switch (issue.keyword) {
      case 'additionalProperties':
        return problemOf(
          'unknown-field',
          `unknown field ${base}/${String(params.additionalProperty)}`,
          `${base}/${String(params.additionalProperty)}`,
        );
      case 'required':
        return problemOf(
          'missing-field',
          `missing field ${base}/${String(params.missingProperty)}`,
          `${base}/${String(params.missingProperty)}`,
        );
      default:
        return problemOf(
          'invalid-field',
          `${base || error.validationContext || 'request'} ${issue.message ?? 'is invalid'}`,
          base || undefined,
        );
    }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problemOf('malformed-json', error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problemOf('body-too-large', error.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problemOf('unsupported-media-type', error.message);
  }
  if (error.statusCode === 400 && error instanceof SyntaxError) return problemOf('malformed-json', error.message);
  return undefined;
}

function isJsonMediaType(contentType: string): boolean {
  return /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType);
}
