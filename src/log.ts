import { pino, type Logger } from 'pino';

/**
 * One structured logger for the service. Tokens and patient data must never reach the logs:
 * authorization headers, fhirAuthorization and prefetch bodies are redacted even if a caller
 * passes them by mistake.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'cairn' },
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        '*.fhirAuthorization',
        'fhirAuthorization',
        '*.access_token',
        'access_token',
        '*.prefetch',
        'prefetch',
        'token',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}

export const log: Logger = createLogger(process.env.NODE_ENV === 'test' ? 'silent' : undefined);
export type { Logger };
