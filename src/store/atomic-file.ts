import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import {isAlive} from '../os/proc.js'

/**
 * Replaces `path` as a whole or not at all: the bytes go to a temp file beside it, which is
 * renamed over the target. `durable` adds the fsyncs that make the new content survive a power
 * cut (file before rename, folder after). `owner` (root writing a user's file) is set before the
 * rename, so the file never appears under the wrong owner, even for a moment.
 */
export function writeFileAtomic(
  path: string,
  data: string,
  options: {durable?: boolean; mode?: number; owner?: {gid: number; uid: number}} = {},
): void {
  const {mode = 0o600, durable = false, owner} = options
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  const fd = openSync(temp, 'wx', mode)
  try {
    // Exactly `mode`, whatever the umask: 0600 stays private, a 0644 unit stays readable.
    fchmodSync(fd, mode)
    if (owner) fchownSync(fd, owner.uid, owner.gid)
    const bytes = Buffer.from(data)
    let offset = 0
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset)
    if (durable) fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temp, {force: true})
    throw error
  }

  closeSync(fd)
  try {
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }

  if (durable) fsyncDirectory(dirname(path))
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Temp files of writers that died before their rename (for example a killed `tspm save`). */
export function removeStaleTempFiles(path: string): void {
  const prefix = `.${basename(path)}.`
  for (const entry of readdirSync(dirname(path))) {
    // `.<name>.<pid>.<ms>.tmp` only: `.dump.json.bak.<pid>.<ms>.tmp` starts the same but is another file's.
    const match = entry.startsWith(prefix) ? /^(\d+)\.\d+\.tmp$/.exec(entry.slice(prefix.length)) : null
    if (!match) continue
    const writerPid = Number(match[1])
    if (writerPid !== process.pid && !isAlive(writerPid)) rmSync(join(dirname(path), entry), {force: true})
  }
}
