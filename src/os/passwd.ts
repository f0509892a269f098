import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {userInfo} from 'node:os'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {USER_NAME_PATTERN} from '../model/names.js'

/** A user of this machine, from the passwd and group databases. */
export interface SystemUser {
  name: string
  uid: number
  gid: number
  /** Primary group name (the numeric gid when the group database has no plain name for it). */
  group: string
  home: string
}

/**
 * The target user from the passwd database. getent asks NSS, so LDAP or sssd users are found
 * too; a system without getent falls back to /etc/passwd and /etc/group.
 */
export async function lookupUser(name: string): Promise<SystemUser> {
  const entry = await lookup('passwd', name)
  if (!entry) {
    throw new TspmError(
      `no user ${JSON.stringify(name)} in the passwd database; create that user first, or name an existing one with -u; nothing was changed`,
      {
        exit: ExitCode.usage,
        code: 'unknown_user',
      },
    )
  }

  // name:password:uid:gid:gecos:home:shell
  const [uid, gid, home] = [entry[2], entry[3], entry[5]]
  const groupName = (await lookup('group', gid))?.[0]
  // A group name that is no plain name (directory services allow "Domain Users") is written as its gid.
  const group = groupName !== undefined && USER_NAME_PATTERN.test(groupName) ? groupName : gid
  return {name: entry[0], uid: Number(uid), gid: Number(gid), group, home}
}

/** The name of the user running this process (by uid, so a changed $USER does not fool it). */
export async function currentUserName(): Promise<string> {
  try {
    return userInfo().username
  } catch {
    const entry = await lookup('passwd', String(process.getuid?.() ?? ''))
    if (entry) return entry[0]
    throw new TspmError(
      `the current uid ${process.getuid?.()} has no entry in the passwd database; name the user with -u`,
      {exit: ExitCode.usage, code: 'unknown_user'},
    )
  }
}

type Database = 'group' | 'passwd'

async function lookup(database: Database, key: string): Promise<string[] | undefined> {
  const viaGetent = await getent(database, key)
  if (viaGetent !== 'unavailable') return viaGetent
  return lookupInFile(database === 'passwd' ? '/etc/passwd' : '/etc/group', key)
}

/** One entry's fields; undefined when not found; 'unavailable' when there is no getent. */
function getent(database: Database, key: string): Promise<'unavailable' | string[] | undefined> {
  return new Promise((resolve) => {
    execFile('getent', [database, key], {timeout: 10_000}, (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') resolve('unavailable')
      // Exit 2: no such key. Anything else that fails: let the file decide.
      else if (error) resolve((error as {code?: unknown}).code === 2 ? undefined : 'unavailable')
      else resolve(stdout.split('\n')[0]?.split(':'))
    })
  })
}

async function lookupInFile(file: string, key: string): Promise<string[] | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '')
  const byId = /^\d+$/.test(key)
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    if (fields.length < 3) continue
    if (fields[0] === key || (byId && fields[2] === key)) return fields
  }

  return undefined
}
