import { describe, expect, it } from 'vitest';
import { describeConfig, readConfig } from './config.ts';

describe("the order flow's payment API in the configuration", () => {
  it("is the process's own by default", () => {
    expect(readConfig({}).orders).toEqual({ paymentsApiUrl: undefined });
    expect(describeConfig(readConfig({})).ordersPaymentsApi).toBe("this process's own URL");
  });

  it('is ORDERS_PAYMENTS_API_URL when set, without a trailing slash', () => {
    expect(readConfig({ ORDERS_PAYMENTS_API_URL: 'https://payments.bank.example/' }).orders).toEqual({
      paymentsApiUrl: 'https://payments.bank.example',
    });
    expect(readConfig({ ORDERS_PAYMENTS_API_URL: 'http://10.0.0.7:3000/paystream' }).orders?.paymentsApiUrl).toBe(
      'http://10.0.0.7:3000/paystream',
    );
  });

  it('refuses what is not an http(s) base URL, and credentials, without repeating the value', () => {
    for (const url of ['ftp://payments.example', 'not a url', 'http://', 'https://payments.example/?a=1', 'https://payments.example/#x']) {
      expect(() => readConfig({ ORDERS_PAYMENTS_API_URL: url }), url).toThrow(
        /^ORDERS_PAYMENTS_API_URL must be an http:\/\/ or https:\/\/ URL with a host/,
      );
    }
    let message = '';
    try {
      readConfig({ ORDERS_PAYMENTS_API_URL: 'https://orders:s3cret@payments.example' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('ORDERS_PAYMENTS_API_URL must not hold credentials: the order flow calls with its own API key');
    expect(message).not.toContain('s3cret');
  });
});
