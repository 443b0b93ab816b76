// NextToken pagination and moto's over-long AssignPrivateIpAddresses answer.
// Both pure: the facade hands in a page fetcher / the data to diff.

export interface Page<T> {
  items: T[];
  nextToken?: string | undefined;
}

/** A bound on pages, so an endpoint that keeps sending tokens cannot loop us forever. */
export const MAX_PAGES = 10_000;

/**
 * Follows NextToken until it is absent or empty. Stops too when an endpoint
 * repeats the token it was just given (it ignores the token: same page again).
 */
export async function collectPages<T>(
  fetchPage: (token: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await fetchPage(token);
    out.push(...page.items);
    const next = page.nextToken;
    if (next === undefined || next === "" || next === token) break;
    token = next;
  }
  return out;
}

/**
 * What an AssignPrivateIpAddresses call added. Real EC2 answers with exactly
 * the new addresses; moto answers with every address of the ENI. When the
 * answer is longer than what was asked for, the addresses held before the
 * call (a describe done first) are taken out. Without that snapshot, the last
 * `requested` entries are taken (moto lists in assignment order): a fallback
 * for the first call on an endpoint not yet known to over-answer.
 */
export function newlyAssigned(
  requested: number,
  answered: string[],
  before: ReadonlySet<string> | undefined,
) {
  if (answered.length <= requested) return answered;
  if (before !== undefined) return answered.filter((a) => !before.has(a));
  return answered.slice(answered.length - requested);
}
