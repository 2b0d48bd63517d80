/** The one sentence to show for a failed call: the service's message, never a stack trace. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  return 'Something went wrong, and the lab gave no reason.';
}
