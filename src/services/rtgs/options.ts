import { BackboneError, ErrorCodes } from '../../backbone/errors.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentReserved } from '../../contracts/events.ts';
import type { TopicsCarrying } from '../../contracts/topic-payloads.ts';
import { defaultXsdDir } from '../../contracts/iso20022/xsd-validator.ts';
import { isBic } from '../../contracts/iso20022/identifiers.ts';
import { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';
import type { CircuitBreakerOptions } from './network-client.ts';

export interface RtgsGatewayOptions {
  /** Base URL of the RTGS network (e.g. `http://127.0.0.1:4100`). Required. */
  networkUrl: string;
  /** Shared secret the network presents in `X-Rtgs-Callback-Token` on pacs.002 callbacks. Required, 16+ characters. */
  callbackToken: string;
  /** Our bank's BIC: the instructing agent (InstgAgt) of every pacs.008. Required. */
  instructingAgentBic: string;
  /** The RTGS operator's BIC: the instructed agent (InstdAgt). Required. */
  instructedAgentBic: string;
  /** Default `payments.reserved.v1`, the one topic whose events carry a reserved payment's route. */
  inputTopic?: TopicsCarrying<PaymentReserved>;
  /** Where `pacs.008.001.08.xsd` and friends are. Default `../shared/data/iso20022/` beside the repository. */
  xsdDir?: string;
  /**
   * Validate every outgoing pacs.008 against the XSD before sending. Default true: it costs about
   * 0.1 ms per payment (see docs/rtgs.md), and a payment the network would refuse is dead-lettered
   * here with the invalid element names instead. The builder is tested against the XSD too.
   */
  validateOutgoing?: boolean;
  /** Per HTTP request to the network. Default 5 000. */
  timeoutMs?: number;
  circuitBreaker?: Partial<CircuitBreakerOptions>;
  statusChaser?: Partial<StatusChaserOptions>;
  /** Path of the pacs.002 callback route. Default `/rtgs/v1/pacs002`. */
  callbackPath?: string;
  /**
   * Retry delays of the consumer (non-blocking retry tiers). Default 1 s, 5 s, 30 s, 2 min, 10 min:
   * a network outage of up to a quarter of an hour is ridden out before a payment dead-letters.
   */
  retryDelaysMs?: readonly number[];
  /**
   * Records per consumer batch. Default 500: the batch records its submissions in one statement
   * and sends them, concurrently, after the commit; the next batch of a partition waits for those
   * sends, which keeps a slow network from being flooded.
   */
  maxBatchRecords?: number;
}

export interface StatusChaserOptions {
  /** How often the chaser looks for submissions due a status query. Default 1 000. */
  pollIntervalMs: number;
  /** A submission with no answer after this long is asked about. Default 10 000. */
  firstCheckAfterMs: number;
  /** Then it is asked again this often until the answer is final. Default 15 000. */
  recheckIntervalMs: number;
  /** Status queries per round. Default 50. */
  batchSize: number;
  /**
   * Past this without a final answer, each check logs a warning that an operator should look
   * (the funds stay reserved). Default 15 minutes.
   */
  overdueAfterMs: number;
}

export type ResolvedRtgsGatewayOptions = Required<Omit<RtgsGatewayOptions, 'circuitBreaker' | 'statusChaser'>> & {
  circuitBreaker: CircuitBreakerOptions;
  statusChaser: StatusChaserOptions;
};

const defaults = {
  inputTopic: PaymentTopics.reserved,
  timeoutMs: 5_000,
  callbackPath: RtgsProtocol.callbackPath,
  retryDelaysMs: [1_000, 5_000, 30_000, 120_000, 600_000],
  maxBatchRecords: 500,
  circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 10_000, rollingCountTimeoutMs: 10_000 },
  statusChaser: { pollIntervalMs: 1_000, firstCheckAfterMs: 10_000, recheckIntervalMs: 15_000, batchSize: 50, overdueAfterMs: 15 * 60_000 },
} as const;

/** Applies the defaults and validates; throws `BackboneError(INVALID_OPTIONS)` naming the field. */
export function resolveRtgsGatewayOptions(options: RtgsGatewayOptions): ResolvedRtgsGatewayOptions {
  const resolved: ResolvedRtgsGatewayOptions = {
    ...options,
    inputTopic: options.inputTopic ?? defaults.inputTopic,
    xsdDir: options.xsdDir ?? defaultXsdDir,
    validateOutgoing: options.validateOutgoing ?? true,
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    callbackPath: options.callbackPath ?? defaults.callbackPath,
    retryDelaysMs: options.retryDelaysMs ?? defaults.retryDelaysMs,
    maxBatchRecords: options.maxBatchRecords ?? defaults.maxBatchRecords,
    circuitBreaker: { ...defaults.circuitBreaker, ...options.circuitBreaker },
    statusChaser: { ...defaults.statusChaser, ...options.statusChaser },
  };
  let url: URL | undefined;
  try {
    url = new URL(resolved.networkUrl);
  } catch {
    url = undefined;
  }
  check(url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:'), 'networkUrl must be an http(s) URL');
  check(typeof resolved.callbackToken === 'string' && resolved.callbackToken.length >= 16, 'callbackToken must be at least 16 characters');
  check(isBic(resolved.instructingAgentBic), 'instructingAgentBic must be a BIC (8 or 11 characters)');
  check(isBic(resolved.instructedAgentBic), 'instructedAgentBic must be a BIC (8 or 11 characters)');
  check(resolved.inputTopic.length > 0, 'inputTopic must not be empty');
  check(resolved.callbackPath.startsWith('/'), 'callbackPath must start with /');
  positiveInteger('timeoutMs', resolved.timeoutMs);
  positiveInteger('maxBatchRecords', resolved.maxBatchRecords);
  check(
    resolved.retryDelaysMs.length > 0 && resolved.retryDelaysMs.every((delay) => Number.isInteger(delay) && delay >= 0),
    'retryDelaysMs must be non-negative integers',
  );
  const breaker = resolved.circuitBreaker;
  check(
    breaker.errorThresholdPercentage > 0 && breaker.errorThresholdPercentage <= 100,
    'circuitBreaker.errorThresholdPercentage must be in (0, 100]',
  );
  check(
    Number.isInteger(breaker.volumeThreshold) && breaker.volumeThreshold >= 0,
    'circuitBreaker.volumeThreshold must be a non-negative integer',
  );
  positiveInteger('circuitBreaker.resetTimeoutMs', breaker.resetTimeoutMs);
  positiveInteger('circuitBreaker.rollingCountTimeoutMs', breaker.rollingCountTimeoutMs);
  for (const [name, value] of Object.entries(resolved.statusChaser)) positiveInteger(`statusChaser.${name}`, value);
  return resolved;
}

function positiveInteger(name: string, value: number): void {
  check(Number.isInteger(value) && value > 0, `${name} must be a positive integer`);
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BackboneError(ErrorCodes.INVALID_OPTIONS, `RTGS gateway options: ${message}`);
}
