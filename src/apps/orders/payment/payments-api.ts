// paystream's payment API as the order flow calls it: `POST /v1/payments` with an idempotency key
// per order (and per refund), and `GET /v1/payments/{id}` to recover an outcome it missed.

/** What the payment API answered to a submission. */
export type SubmitAnswer =
  | { accepted: true; paymentId: string }
  /** 400, 409, 413, 415 or 422: the request will never be accepted (e.g. an account that is not this bank's). */
  | { accepted: false; reasonCode: string; reason: string };

/** A payment's outcome as the API shows it (the customer's view): undefined while it is not final. */
export type PaymentStatusAnswer = { completed: true } | { completed: false; reasonCode: string; reason: string } | undefined;

export interface PaymentsApi {
  /** Throws when the API cannot be reached or answers anything but 2xx or a final refusal: try again later with the same key. */
  submit(request: { idempotencyKey: string; correlationId: string; body: PaymentRequest }): Promise<SubmitAnswer>;
  status(paymentId: string): Promise<PaymentStatusAnswer>;
}

/** The body of `POST /v1/payments` for an internal transfer between two accounts of this bank. */
export interface PaymentRequest {
  amount: string;
  currency: string;
  debtor: { name: string; account: string };
  creditor: { name: string; account: string; agent: string; country: string };
  remittanceInformation: string;
  endToEndId: string;
}

export interface HttpPaymentsApiOptions {
  /** Where the payment API is (the platform's own URL once it listens). */
  baseUrl: () => string;
  /** The API key; never logged. */
  apiKey: () => string;
  /** A request that takes longer is abandoned (and retried by the caller). Default 10 s. */
  timeoutMs?: number;
}

export function httpPaymentsApi(options: HttpPaymentsApiOptions): PaymentsApi {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const call = async (path: string, init: RequestInit) => {
    const response = await fetch(`${options.baseUrl()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${options.apiKey()}`, ...init.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    return { status: response.status, body };
  };
  return {
    async submit({ idempotencyKey, correlationId, body }) {
      const { status, body: answer } = await call('/v1/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, 'x-correlation-id': correlationId },
        body: JSON.stringify(body),
      });
      if (status === 202 || status === 200) return { accepted: true, paymentId: String(answer.paymentId) };
      // Only a refusal of the request itself is final; 401/403 (a key being rotated), 404 (no
      // gateway in this process), 408, 429 and 5xx are tried again by the recovery loop.
      if ([400, 409, 413, 415, 422].includes(status))
        return { accepted: false, reasonCode: String(answer.code ?? `HTTP_${status}`), reason: String(answer.detail ?? 'refused') };
      throw new Error(`the payment API answered ${status}`);
    },
    async status(paymentId) {
      const { status, body } = await call(`/v1/payments/${encodeURIComponent(paymentId)}`, { method: 'GET' });
      if (status !== 200) throw new Error(`the payment API answered ${status} for a payment`);
      if (body.status === 'COMPLETED') return { completed: true };
      if (body.status === 'FAILED' || body.status === 'REJECTED') {
        const failure = (body.failure ?? {}) as { code?: string; reason?: string };
        return {
          completed: false,
          reasonCode: failure.code ?? String(body.status),
          reason: failure.reason ?? 'The payment could not be processed.',
        };
      }
      return undefined;
    },
  };
}
