/**
 * Stream entry ids are `<milliseconds>-<sequence>` (Redis's format, also used by the in-process store).
 * They sort in append order numerically, not as strings ("5-10" comes after "5-9"): compare them with
 * `compareStreamIds`, never with `<`.
 */
export interface StreamId {
  ms: number;
  seq: number;
}

const streamIdPattern = /^(\d{1,16})(?:-(\d{1,16}))?$/;

/** Parses an id as XRANGE accepts it (`5-3`, or `5` meaning `5-0`); null when malformed. */
export function parseStreamId(id: string): StreamId | null {
  const match = streamIdPattern.exec(id);
  if (!match) return null;
  const ms = Number(match[1]);
  const seq = Number(match[2] ?? '0');
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) ? { ms, seq } : null;
}

export function isStreamId(id: string): boolean {
  return parseStreamId(id) !== null;
}

/** Negative when `a` was appended before `b`; throws on a malformed id. */
export function compareStreamIds(a: string, b: string): number {
  const left = parseStreamId(a);
  const right = parseStreamId(b);
  if (!left || !right) throw new RangeError(`invalid stream id: ${JSON.stringify(left ? b : a).slice(0, 40)}`);
  return left.ms - right.ms || left.seq - right.seq;
}

export function invalidStreamIdError(id: string): RangeError {
  return new RangeError(`invalid stream id: ${JSON.stringify(id).slice(0, 40)}`);
}
