/** Small promise helpers. */

/**
 * Resolves after `ms`. The timer does not keep the process alive: delays here
 * bound waits on sockets and processes, which keep it alive while they matter.
 */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}
