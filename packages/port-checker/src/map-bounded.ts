/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the
 * results in the order of `items`. `fn` should not reject; if it does, the
 * returned promise rejects and calls already started still run to completion.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  // Each worker takes the next unclaimed index until none is left, so the loop ends after items.length claims.
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next
      next += 1
      results[index] = await fn(items[index] as T)
    }
  }
  const workers = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: workers }, worker))
  return results
}
