// Usage errors, the same for every command: one line saying what is wrong, then the command's
// usage, exit 2. Node's parseArgs errors (an unknown flag, a flag without its value) become
// that one line instead of an uncaught TypeError and a stack trace.
import { ErrorCode, HygieneError } from '../errors.js';

/** The one line a usage error prints; undefined when the error is not about usage. */
export function usageProblem(err: unknown): string | undefined {
  if (err instanceof HygieneError)
    return err.code === ErrorCode.USAGE ? parseArgsProblem(err.message) : undefined;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return undefined;
  return parseArgsProblem((err as Error).message);
}

/** Node's parseArgs messages, kept to their first sentence (serve passes them on as its own). */
function parseArgsProblem(message: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  // "Option '-o, --output <value>' argument missing" and the like: Node's own first sentence.
  if (!/^Option '[^']+' argument/.test(message)) return message;
  return message.split('. ')[0]!.replace(/^\w/, (c) => c.toLowerCase());
}
