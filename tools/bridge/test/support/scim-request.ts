/** What a SCIM answer holds: its status and parsed body (an empty body reads as {}). */
export interface ScimAnswer {
  status: number;
  json: Record<string, unknown> & { Resources?: Array<Record<string, unknown>> };
}

/** One SCIM request as a provisioning client sends it: bearer token, `application/scim+json` body when there is one. */
export async function scimRequest(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<ScimAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as ScimAnswer['json'] };
}
