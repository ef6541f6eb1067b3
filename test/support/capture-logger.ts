/** A pino logger writing JSON lines into an array, for asserting what was (and wasn't) logged. */
import { pino } from 'pino';
import type { Logger } from 'pino';

export function captureLogger(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines, text: () => lines.join('') };
}
