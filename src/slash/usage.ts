/** A bad argument: answered ephemerally with the command's usage line. */
export class UsageError {
  constructor(readonly message: string) {}
}
