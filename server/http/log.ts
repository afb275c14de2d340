/**
 * The server's log: one JSON object per line, so that a log shipper can index every field. Request
 * lines carry the request id; nothing here ever logs a body or a credential.
 */
export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [field: string]: unknown;
}

export type Logger = (line: LogLine) => void;

/** Info lines to stdout, warnings and errors to stderr, each with the time first. */
export const jsonLogger: Logger = (line) => {
  const text = JSON.stringify({ time: new Date().toISOString(), ...line });
  if (line.level === 'info') process.stdout.write(`${text}\n`);
  else process.stderr.write(`${text}\n`);
};
