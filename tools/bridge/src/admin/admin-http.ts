import { ApiError } from './admin-errors.js';

// fetch, with what goes wrong on the way turned into the CLI's one-line errors.

/** fetch, with a failure to connect as an ApiError naming the address (never the request's headers). */
export async function sendRequest(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).message;
    throw new ApiError('network_error', `cannot reach ${new URL(url).origin}: ${reason}`);
  }
}

/**
 * A refusal as the admin API and the token endpoint give it (`{error, error_description}`), or the
 * server's `{error: 'server_error', request_id}`; anything else by its status.
 */
export async function readApiError(response: Response, where: string): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: unknown; error_description?: unknown; request_id?: unknown; diagnostics?: unknown } | undefined;
  if (typeof body?.error === 'string') {
    if (typeof body.error_description === 'string') return new ApiError(body.error, body.error_description + diagnosticsOf(body.diagnostics));
    if (typeof body.request_id === 'string') return new ApiError(body.error, `request id ${body.request_id} (see the server's log)`);
    return new ApiError(body.error, `${where} answered ${response.status}`);
  }
  return new ApiError('http_error', `${where} answered ${response.status} ${response.statusText}`.trim());
}

/** A call policy Cedar refused: each problem, `line:column rule: message`, on the same line (`; `-separated). */
function diagnosticsOf(diagnostics: unknown): string {
  if (!Array.isArray(diagnostics) || diagnostics.length === 0) return '';
  const described = diagnostics.map((item) => {
    const { message, rule, line, column } = (item ?? {}) as { message?: unknown; rule?: unknown; line?: unknown; column?: unknown };
    const at = typeof line === 'number' ? `${line}:${typeof column === 'number' ? column : 1} ` : '';
    const where = typeof rule === 'string' ? `rule "${rule}": ` : '';
    return `${at}${where}${typeof message === 'string' ? message : 'invalid'}`;
  });
  // One line: a message with a line break would break the CLI's one-line refusal.
  return `: ${Array.from(described.join('; '), (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('')}`;
}
