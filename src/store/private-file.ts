/**
 * Opening the files tspm appends to (app logs, tspm.log) without ever following a symbolic link
 * someone planted: O_NOFOLLOW, and the opened file must be a regular file of ours. A file that is
 * new is created with O_EXCL, so nothing can be slipped in between the check and the create.
 */
import {closeSync, constants, fstatSync, openSync} from 'node:fs'

const {O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR, O_WRONLY} = constants

/** Why a file cannot be written safely; the message names the file. */
export class UnsafeFileError extends Error {
  override name = 'UnsafeFileError'
  readonly code = 'unsafe_file'
}

/**
 * Opens `path` for appending: an existing regular file owned by this process's effective user,
 * or a new one (`mode`). A symbolic link, another kind of file or another user's file is refused.
 * `read`: it can be read too (positioned reads; writes still go to its end).
 */
export function openForAppend(
  path: string,
  mode = 0o600,
  options: {create?: 'new'; owner?: number; read?: true} = {},
): number {
  let fd: number
  try {
    const access = options.read ? O_RDWR : O_WRONLY
    fd = openSync(path, access | O_APPEND | O_CREAT | O_NOFOLLOW | (options.create === 'new' ? O_EXCL : 0), mode)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeFileError(`${path} is a symbolic link; tspm never writes through one: remove it`)
    }

    throw error
  }

  const stat = fstatSync(fd)
  const uid = options.owner ?? process.geteuid?.()
  if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) {
    closeSync(fd)
    throw new UnsafeFileError(
      `${path} is ${stat.isFile() ? `a file of uid ${stat.uid}, not yours (uid ${uid})` : 'not a regular file'}; tspm does not write to it: remove it`,
    )
  }

  return fd
}
