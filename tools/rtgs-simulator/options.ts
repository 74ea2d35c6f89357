import type { Logger } from 'pino';

export interface RtgsSimulatorOptions {
  /** Default 0: any free port (tests). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where to POST pacs.002 answers (the gateway's callback route, full URL). Without it, answers are only available by status query. */
  callbackUrl?: string;
  /** Sent in `X-Rtgs-Callback-Token` on callbacks. */
  callbackToken?: string;
  /** Time from accepting a pacs.008 to deciding it. Default 200. */
  latencyMs?: number;
  /** Share of payments rejected at random (reason AM04). Default 0. */
  rejectRate?: number;
  /** Share answered late, after `lateDelayMs` instead of `latencyMs`. Default 0. */
  lateRate?: number;
  /** Default 30 000. */
  lateDelayMs?: number;
  /** Share never decided: status stays pending forever. Default 0. */
  neverAnswerRate?: number;
  /** Every submit is answered only after this delay (after the payment is registered), to test the gateway's timeout. Default 0. */
  submitDelayMs?: number;
  /** JSONL file of the simulator's state; a restart with the same file keeps every decision. Default: memory only. */
  dataFile?: string;
  /** Folder of the ISO 20022 XSDs. Default `../shared/data/iso20022/` beside the repository. */
  xsdDir?: string;
  /** The operator's BIC (InstgAgt of pacs.002, servicer of statements). Default RTGSDEFFXXX. */
  operatorBic?: string;
  callbackRetry?: Partial<CallbackRetryOptions>;
  /** Injected for deterministic tests. Default Math.random. */
  random?: () => number;
  /** Injected for deterministic tests. Default Date.now. */
  nowMs?: () => number;
  /** Default: silent. */
  logger?: Logger;
}

export interface CallbackRetryOptions {
  /** Default 100; doubles per attempt. */
  baseDelayMs: number;
  /** Default 5 000. */
  maxDelayMs: number;
  /** Then give up (the gateway's status chaser still finds the answer). Default 30. */
  maxAttempts: number;
  /** Per callback request. Default 5 000. */
  timeoutMs: number;
}

export type ResolvedSimulatorOptions = Required<
  Omit<RtgsSimulatorOptions, 'callbackUrl' | 'callbackToken' | 'dataFile' | 'callbackRetry'>
> & {
  callbackUrl: string | undefined;
  callbackToken: string | undefined;
  dataFile: string | undefined;
  callbackRetry: CallbackRetryOptions;
};

/** Applies the defaults and validates; throws a `TypeError` naming the field. */
export function resolveSimulatorOptions(
  options: RtgsSimulatorOptions,
  defaults: { xsdDir: string; logger: Logger },
): ResolvedSimulatorOptions {
  const resolved: ResolvedSimulatorOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    callbackUrl: options.callbackUrl,
    callbackToken: options.callbackToken,
    latencyMs: options.latencyMs ?? 200,
    rejectRate: options.rejectRate ?? 0,
    lateRate: options.lateRate ?? 0,
    lateDelayMs: options.lateDelayMs ?? 30_000,
    neverAnswerRate: options.neverAnswerRate ?? 0,
    submitDelayMs: options.submitDelayMs ?? 0,
    dataFile: options.dataFile,
    xsdDir: options.xsdDir ?? defaults.xsdDir,
    operatorBic: options.operatorBic ?? 'RTGSDEFFXXX',
    callbackRetry: { baseDelayMs: 100, maxDelayMs: 5_000, maxAttempts: 30, timeoutMs: 5_000, ...options.callbackRetry },
    random: options.random ?? Math.random,
    nowMs: options.nowMs ?? Date.now,
    logger: options.logger ?? defaults.logger,
  };
  for (const name of ['rejectRate', 'lateRate', 'neverAnswerRate'] as const) {
    if (!(resolved[name] >= 0 && resolved[name] <= 1)) throw new TypeError(`${name} must be between 0 and 1`);
  }
  for (const name of ['port', 'latencyMs', 'lateDelayMs', 'submitDelayMs'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 0) throw new TypeError(`${name} must be a non-negative integer`);
  }
  if (resolved.callbackUrl !== undefined) new URL(resolved.callbackUrl);
  return resolved;
}
