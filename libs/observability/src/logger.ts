import { pino, stdSerializers } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { redactDeep, redactUrlCredentials } from './redact.js';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** Service name, written as `name` on every line. */
  name: string;
  level?: string;
  /** Defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
}

// pino types serializer arguments as `any`; each std serializer narrows it itself.
type Serializer = (value: never) => unknown;
type PinoSerializer = (value: unknown) => unknown;

// pino's error serializer returns an object with a custom prototype; copy it to a plain one so the deep
// walk looks inside (an OAuth error's `params` can hold a client secret).
const redacting =
  (serializer: Serializer): PinoSerializer =>
  (value) => {
    const out = serializer(value as never);
    return redactDeep(out !== null && typeof out === 'object' ? { ...out } : out);
  };

/** JSON logs, one line per entry, with secrets redacted at any depth (headers, bodies, errors, bindings). */
export function createLogger(options: CreateLoggerOptions): Logger {
  const logger = pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { name: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object),
      },
      // formatters.log runs before serializers, so serializer output is redacted on its own.
      serializers: {
        err: redacting(stdSerializers.err),
        error: redacting(stdSerializers.err),
        req: redacting(stdSerializers.req),
        res: redacting(stdSerializers.res),
        // pino passes the message through the serializer of its key.
        msg: (message: unknown) => (typeof message === 'string' ? redactUrlCredentials(message) : message),
      },
    },
    options.destination ? (options.destination as DestinationStream) : pino.destination(1),
  );
  // pino applies formatters.bindings only to the root; children (Fastify's per-request ones included)
  // inherit this override, so their bindings are redacted too.
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Parameters<Logger['child']>[0], childOptions?: Parameters<Logger['child']>[1]) {
    return child.call(this, redactDeep(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
