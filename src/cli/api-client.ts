import { CliError } from './cli-error.ts';

/** Where a running platform's API is and the key to call it with (`--url`/`PAYSTREAM_URL`, `--key`/`PAYSTREAM_API_KEY`). */
export interface ApiTarget {
  url: string;
  key: string;
}

/**
 * Calls the running platform's API and returns the JSON body of a 2xx answer. Any other answer is
 * a CliError naming the status and the problem's code and detail; a platform that does not answer
 * is a CliError saying where the command looked.
 */
export async function callApi(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, target.url), {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
    const reason =
      cause?.code ?? cause?.errors?.[0]?.code ?? (cause as { message?: string } | undefined)?.message ?? (error as Error).message;
    throw new CliError(`no paystream answers at ${target.url} (${reason}): start it (npm start) or pass --url / PAYSTREAM_URL`);
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (response.ok) return parsed;
  const problem = parsed as { code?: string; detail?: string } | undefined;
  throw new CliError(
    `${method} ${path}: ${response.status} ${problem?.code ?? response.statusText}${problem?.detail ? `: ${problem.detail}` : ''}`,
  );
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
