import CircuitBreaker from 'opossum';
import { request } from 'undici';
import { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';

/** Why a call to the RTGS network failed: a closed list, each retryable or not. */
export const RtgsNetworkErrorCodes = {
  /** No answer within `timeoutMs`: the network may or may not have the message. */
  TIMEOUT: 'TIMEOUT',
  /** Connection refused or reset, DNS, TLS: the message did not arrive. */
  UNREACHABLE: 'UNREACHABLE',
  /** A 5xx or 429: the network is there but cannot take it now. */
  SERVER_ERROR: 'SERVER_ERROR',
  /** Our circuit breaker is open after repeated failures: not even tried. */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  /** A 4xx: the network refused the message for good (invalid, UETR reused). Not retryable. */
  REFUSED: 'REFUSED',
} as const;
export type RtgsNetworkErrorCode = (typeof RtgsNetworkErrorCodes)[keyof typeof RtgsNetworkErrorCodes];

export class RtgsNetworkError extends Error {
  readonly code: RtgsNetworkErrorCode;
  readonly retryable: boolean;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;

  constructor(code: RtgsNetworkErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RtgsNetworkError';
    this.code = code;
    this.retryable = code !== RtgsNetworkErrorCodes.REFUSED;
    this.status = options.status;
  }
}

export interface CircuitBreakerOptions {
  /** Percentage of failed calls in the rolling window that opens the circuit. Default 50. */
  errorThresholdPercentage: number;
  /** Calls in the window before the circuit may open at all. Default 5. */
  volumeThreshold: number;
  /** How long the circuit stays open before one trial call (half-open). Default 10 000. */
  resetTimeoutMs: number;
  /** The rolling window of statistics. Default 10 000. */
  rollingCountTimeoutMs: number;
}

export interface RtgsNetworkClientOptions {
  networkUrl: string;
  /** Per request; a submit that takes longer is followed by a status query, not a blind resend. */
  timeoutMs: number;
  circuitBreaker: CircuitBreakerOptions;
}

/** What the network said about a pacs.008 it was sent. */
export type SubmitOutcome = 'accepted' | 'duplicate';

/** What the network said about a UETR. */
export type StatusAnswer = { kind: 'unknown' } | { kind: 'report'; final: boolean; pacs002: string };

type CircuitState = 'closed' | 'half-open' | 'open';

interface HttpCall {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * The RTGS network over HTTP, behind one circuit breaker (opossum): every call has a timeout; 5xx,
 * 429, timeouts and connection errors count as failures, and when half of the recent calls failed
 * the circuit opens and calls fail at once with `CIRCUIT_OPEN` (retryable) instead of piling up on
 * a network that is down. 4xx answers are the network working as designed and do not count.
 *
 * The breaker keeps its own wall-clock timers (opossum cannot take an injected clock); nothing
 * here decides business outcomes by time, so tests use short real timeouts.
 */
export class RtgsNetworkClient {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #breaker: CircuitBreaker<[HttpCall], HttpAnswer>;

  constructor(options: RtgsNetworkClientOptions) {
    this.#baseUrl = options.networkUrl.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#breaker = new CircuitBreaker((call: HttpCall) => this.#send(call), {
      timeout: false,
      errorThresholdPercentage: options.circuitBreaker.errorThresholdPercentage,
      volumeThreshold: options.circuitBreaker.volumeThreshold,
      resetTimeout: options.circuitBreaker.resetTimeoutMs,
      rollingCountTimeout: options.circuitBreaker.rollingCountTimeoutMs,
      name: 'rtgs-network',
    });
  }

  get circuitState(): CircuitState {
    if (this.#breaker.opened) return 'open';
    if (this.#breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  /** Calls `listener` whenever the circuit opens, half-opens or closes. */
  onCircuitChange(listener: (state: CircuitState) => void): void {
    this.#breaker.on('open', () => listener('open'));
    this.#breaker.on('halfOpen', () => listener('half-open'));
    this.#breaker.on('close', () => listener('closed'));
  }

  /**
   * Sends a pacs.008 with its UETR as the idempotency key. Resolves when the network has it
   * (new or a duplicate it already had); throws `RtgsNetworkError` otherwise.
   */
  async submitPacs008(uetr: string, pacs008: string): Promise<SubmitOutcome> {
    const answer = await this.#fire({
      method: 'POST',
      path: RtgsProtocol.submitPath,
      headers: { 'content-type': RtgsProtocol.xmlContentType, [RtgsProtocol.idempotencyKeyHeader]: uetr },
      body: pacs008,
    });
    if (answer.status === 202 || answer.status === 201) return 'accepted';
    if (answer.status === 200) return 'duplicate';
    throw new RtgsNetworkError(RtgsNetworkErrorCodes.REFUSED, `the RTGS network refused the pacs.008 with HTTP ${answer.status}`, {
      status: answer.status,
    });
  }

  /** Asks the network what became of a UETR. */
  async queryStatus(uetr: string): Promise<StatusAnswer> {
    const answer = await this.#fire({ method: 'GET', path: RtgsProtocol.statusPath(uetr), headers: { accept: 'application/xml' } });
    if (answer.status === 404) return { kind: 'unknown' };
    if (answer.status === 200 || answer.status === 202) return { kind: 'report', final: answer.status === 200, pacs002: answer.body };
    throw new RtgsNetworkError(RtgsNetworkErrorCodes.REFUSED, `the RTGS network refused the status query with HTTP ${answer.status}`, {
      status: answer.status,
    });
  }

  /**
   * Submits, and on a timeout asks for the status instead of resending blindly: the message may
   * have arrived. Only when the network says it does not know the UETR is the pacs.008 sent
   * again (still under the same idempotency key, so even a race cannot settle it twice).
   */
  async deliverPacs008(uetr: string, pacs008: string): Promise<SubmitOutcome | 'accepted-after-timeout'> {
    try {
      return await this.submitPacs008(uetr, pacs008);
    } catch (error) {
      if (!(error instanceof RtgsNetworkError) || error.code !== RtgsNetworkErrorCodes.TIMEOUT) throw error;
      const status = await this.queryStatus(uetr);
      if (status.kind === 'report') return 'accepted-after-timeout';
      return this.submitPacs008(uetr, pacs008);
    }
  }

  async #fire(call: HttpCall): Promise<HttpAnswer> {
    try {
      return await this.#breaker.fire(call);
    } catch (error) {
      if (error instanceof RtgsNetworkError) throw error;
      if ((error as { code?: unknown }).code === 'EOPENBREAKER')
        throw new RtgsNetworkError(RtgsNetworkErrorCodes.CIRCUIT_OPEN, 'the RTGS network circuit is open after repeated failures', {
          cause: error,
        });
      throw new RtgsNetworkError(RtgsNetworkErrorCodes.UNREACHABLE, `the RTGS network is unreachable: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /** One HTTP exchange; throws for what should count against the circuit. */
  async #send(call: HttpCall): Promise<HttpAnswer> {
    let status: number;
    let body: string;
    try {
      // undici's request, not fetch: the same HTTP client without the WHATWG layers, about a fifth
      // of fetch's CPU per exchange (`npm run bench -- http-floor`), and this runs once per payment.
      const response = await request(`${this.#baseUrl}${call.path}`, {
        method: call.method,
        headers: call.headers,
        body: call.body ?? null,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.statusCode;
      body = await response.body.text();
    } catch (error) {
      if (isTimeout(error))
        throw new RtgsNetworkError(RtgsNetworkErrorCodes.TIMEOUT, `no answer from the RTGS network within ${this.#timeoutMs} ms`, {
          cause: error,
        });
      throw new RtgsNetworkError(RtgsNetworkErrorCodes.UNREACHABLE, `the RTGS network is unreachable: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (status >= 500 || status === 429)
      throw new RtgsNetworkError(RtgsNetworkErrorCodes.SERVER_ERROR, `the RTGS network answered HTTP ${status}`, { status });
    return { status, body };
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || (error.cause instanceof Error && error.cause.name === 'TimeoutError'));
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
