/**
 * The API's error catalogue: every stable code, its HTTP status and meaning. Documented in
 * docs/errors.md (tests/unit/errors-doc.test.ts keeps the two in step). Codes are never reused.
 */
import type { ErrorRequestHandler } from 'express';
import { QueryRefusedError } from '../store/types.ts';

/** Largest JSON request body the API reads (`express.json`); a larger one is ERR_BODY_TOO_LARGE. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const ERROR_CODES = {
  ERR_NOT_FOUND: { status: 404, message: 'No such endpoint' },
  ERR_SITE_NOT_FOUND: { status: 404, message: 'No such site' },
  ERR_MEMBER_NOT_FOUND: { status: 404, message: 'No such member' },
  ERR_DEVICE_NOT_FOUND: { status: 404, message: 'No such device' },
  ERR_QUERY_INVALID: { status: 400, message: 'Invalid query parameters' },
  ERR_RANGE_INVALID: { status: 400, message: 'Invalid time range' },
  ERR_METRIC_UNKNOWN: { status: 400, message: 'Unknown metric' },
  ERR_TOO_MANY_POINTS: { status: 400, message: 'The query would return too many windows; widen `every` or narrow the range' },
  ERR_BODY_INVALID: { status: 400, message: 'Invalid request body' },
  ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body too large' },
  ERR_UNAUTHENTICATED: { status: 401, message: 'Sign in first' },
  ERR_SESSION_EXPIRED: { status: 401, message: 'Your session has expired; sign in again' },
  ERR_LOGIN_FAILED: { status: 401, message: 'Wrong username or password' },
  ERR_FORBIDDEN: { status: 403, message: 'Not allowed for your role' },
  ERR_CSRF: { status: 403, message: 'Missing or wrong CSRF token, or a cross-origin request' },
  ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  ERR_LOCKED_OUT: { status: 429, message: 'Too many failed sign-ins; try again later' },
  ERR_STORE_UNAVAILABLE: { status: 503, message: 'The time-series store is unavailable' },
  ERR_INTERNAL: { status: 500, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = ERROR_CODES[code].status;
  }
}

/** Renders any error as `{ error: { code, message, details? } }`. */
export function errorHandler(log: { error: (o: object, m: string) => void }): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    let e: { status: number; code: string; message: string; details?: unknown };
    if (err instanceof ApiError) e = err;
    else if (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code in ERROR_CODES) {
      const code = (err as { code: ErrorCode }).code;
      e = { status: ERROR_CODES[code].status, code, message: (err as Error).message || ERROR_CODES[code].message, details: (err as { details?: unknown }).details };
    } else if (err && typeof err === 'object' && (err as { type?: string }).type === 'entity.parse.failed') {
      e = { status: 400, code: 'ERR_BODY_INVALID', message: 'Request body is not valid JSON' };
    } else if (err && typeof err === 'object' && (err as { type?: string }).type === 'entity.too.large') {
      e = { status: 413, code: 'ERR_BODY_TOO_LARGE', message: `Request body too large; at most ${MAX_BODY_BYTES} bytes` };
    } else if (isBodyReadError(err)) {
      // body-parser's other refusals (unsupported charset or encoding, aborted or mis-sized body).
      e = { status: 400, code: 'ERR_BODY_INVALID', message: (err as Error).message };
    } else if (err instanceof QueryRefusedError) {
      // Parameters the store cannot represent: the edge (api/params.ts) should have refused them already.
      e = { status: 400, code: 'ERR_QUERY_INVALID', message: err.message };
    } else {
      log.error({ err: (err as Error)?.message ?? String(err) }, 'unhandled API error');
      e = { status: 500, code: 'ERR_INTERNAL', message: ERROR_CODES.ERR_INTERNAL.message };
    }
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } });
  };
}

/** A client error of express's body reader (body-parser): it sets `type` and a 4xx `status`. */
function isBodyReadError(err: unknown): boolean {
  const e = err as { type?: unknown; status?: unknown } | null;
  return typeof e?.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}
