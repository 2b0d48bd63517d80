/**
 * An error a user can cause (bad scenario, parameter, file): the message is one sentence that
 * names the thing and says what would be valid. Adapters print it as it is, never a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
