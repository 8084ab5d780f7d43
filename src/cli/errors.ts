/** Errors the CLI prints as one line with a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const notImplemented = (what: string): never => {
  throw new CliError(`${what}: not implemented yet`, 1);
};
