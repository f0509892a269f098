/**
 * Runs `body` with the effective uid of nobody when the tests run as root, who can read anything:
 * the real uid stays 0, so the effective uid comes back afterwards. As another user, runs it as is.
 */
export async function withoutRootPrivileges<T>(body: () => Promise<T> | T): Promise<T> {
  if (process.geteuid?.() !== 0) return body()
  process.seteuid!(65_534)
  try {
    return await body()
  } finally {
    process.seteuid!(0)
  }
}
