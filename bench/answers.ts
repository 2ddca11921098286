/** What counts as the same answer again, for the benchmark's checks and its load client alike. */

/** Where an answer's cost report starts: it ends every GraphQL answer of algoplane's, and its `remaining` changes with each. */
const COST_REPORT = ',"extensions":{"cost":';

/** An answer without its cost report: what must not change from one request to the next. */
export function answerOf(text: string): string {
  const cut = text.lastIndexOf(COST_REPORT);
  return cut === -1 ? text : `${text.slice(0, cut)}}`;
}

/**
 * Whether a body is `expected` again: the same bytes, but for the cost report's figures. A string
 * comparison, as cheap as autocannon's own exact one, so the load generator's work does not grow.
 */
export function sameAnswer(expected: string): (body: string | Buffer | undefined) => boolean {
  const cut = expected.lastIndexOf(COST_REPORT);
  if (cut === -1) return (body) => body === expected;
  const answer = expected.slice(0, cut + COST_REPORT.length);
  return (body) => typeof body === 'string' && body.startsWith(answer) && body.endsWith('}}}');
}
