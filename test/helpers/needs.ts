import type {TestContext} from 'node:test'

import assert from 'node:assert/strict'

export const UNDER_CI = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'

/**
 * The one skip policy of the tests. A test that needs something this machine may lack (root, a
 * tool, the container root) starts with `if (!needs(t, available, reason)) return`: outside CI it
 * is skipped with the reason; under CI, where .ci/run installs everything, it fails instead, so
 * nothing is skipped there without anyone noticing.
 */
export function needs(t: TestContext, available: boolean, reason: string): boolean {
  if (available) return true
  if (UNDER_CI) assert.fail(`CI is set, so this test must run: ${reason}`)
  t.skip(reason)
  return false
}
