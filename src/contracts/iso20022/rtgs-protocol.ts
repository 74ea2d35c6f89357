/**
 * The HTTP protocol between paystream's RTGS gateway and the RTGS network (the simulator in
 * `tools/rtgs-simulator/` speaks it too), so both sides share one definition.
 *
 *   gateway → network   POST {network}/pacs008                    body pacs.008, header Idempotency-Key: <UETR>
 *                         202 accepted · 200 duplicate of a known UETR · 400 invalid · 409 UETR reused
 *   gateway → network   GET  {network}/payments/{uetr}/status
 *                         200 pacs.002 (final) · 202 pacs.002 PDNG (pending) · 404 unknown UETR
 *   network → gateway   POST {gateway}/rtgs/v1/pacs002              body pacs.002, header X-Rtgs-Callback-Token
 *                         200 applied (or already applied) · 401 bad token · 400 invalid · 409 unknown UETR (retry later)
 *   anyone  → network   GET  {network}/statements/{YYYY-MM-DD}      camt.053 of the day's settlements
 */
export const RtgsProtocol = {
  submitPath: '/pacs008',
  statusPath: (uetr: string) => `/payments/${encodeURIComponent(uetr)}/status`,
  statementPath: (date: string) => `/statements/${encodeURIComponent(date)}`,
  /** Where the gateway receives pacs.002 callbacks (default; configurable on both sides). */
  callbackPath: '/rtgs/v1/pacs002',
  idempotencyKeyHeader: 'idempotency-key',
  /** The shared secret the network presents on callbacks. */
  callbackTokenHeader: 'x-rtgs-callback-token',
  xmlContentType: 'application/xml; charset=utf-8',
} as const;
