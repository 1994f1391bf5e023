/** pino logger factory: one root logger, a child per module (`broker`, `ingest`, `api`, …). */
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    // Never log secrets that might appear in config objects or request headers.
    redact: { paths: ['*.password', '*.token', '*.secret', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
  });
}

export type { Logger };
