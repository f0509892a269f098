/**
 * `--lines N`, read the same way by oclif's flag (cli/flags.ts) and by the fast path, which loads
 * no oclif: a whole number of 0 or more; undefined for anything else.
 */
export function parseLineCount(input: string): number | undefined {
  const count = Number(input)
  return Number.isSafeInteger(count) && count >= 0 ? count : undefined
}
