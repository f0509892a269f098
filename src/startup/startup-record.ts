import {chownSync, existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'

import {ExitCode, TspmError} from '../exit-codes.js'
import type {HomePaths} from '../home.js'
import {writeFileAtomic} from '../store/atomic-file.js'
import {PLATFORM_NAME_PATTERN, SERVICE_NAME_PATTERN} from './names.js'

/** $TSPM_HOME/startup/startup.json: what `tspm startup` installed, so `unstartup` can remove it. */
export interface StartupRecord {
  platform: string
  service_name: string
  unit_path: string
  user: string
  home: string
  tspm_home: string
  runtime: string
  tspm: string
  tspm_version: string
  installed_at: string
}

const RECORD_KEYS: Array<keyof StartupRecord> = [
  'platform',
  'service_name',
  'unit_path',
  'user',
  'home',
  'tspm_home',
  'runtime',
  'tspm',
  'tspm_version',
  'installed_at',
]

export function readStartupRecord(paths: HomePaths): StartupRecord | undefined {
  try {
    return JSON.parse(readFileSync(paths.startupFile, 'utf8')) as StartupRecord
  } catch {
    return undefined
  }
}

/** startup.json for `unstartup`: undefined when absent; a file that does not read back is an error naming it. */
export function loadStartupRecord(paths: HomePaths): StartupRecord | undefined {
  if (!existsSync(paths.startupFile)) return undefined
  let data: unknown
  try {
    data = JSON.parse(readFileSync(paths.startupFile, 'utf8'))
  } catch (error) {
    throw new TspmError(`${paths.startupFile} cannot be read (${(error as Error).message}); nothing was changed`, {
      exit: ExitCode.badData,
      code: 'bad_startup_record',
    })
  }
  const missing = RECORD_KEYS.filter((key) => typeof (data as Record<string, unknown> | null)?.[key] !== 'string')
  if (missing.length > 0) {
    throw new TspmError(`${paths.startupFile} lacks ${missing.join(', ')}; nothing was changed`, {
      exit: ExitCode.badData,
      code: 'bad_startup_record',
    })
  }
  const record = data as StartupRecord
  // The file belongs to the user and root acts on it: names must be what startup could have written.
  if (!SERVICE_NAME_PATTERN.test(record.service_name) || !PLATFORM_NAME_PATTERN.test(record.platform)) {
    throw new TspmError(
      `${paths.startupFile} names the service ${JSON.stringify(record.service_name)} of ${JSON.stringify(record.platform)}, which tspm startup never writes; nothing was changed`,
      {
        exit: ExitCode.badData,
        code: 'bad_startup_record',
      },
    )
  }
  return record
}

/** Writes startup.json 0600 (in a 0700 folder), both owned by the service's user. */
export function writeStartupRecord(paths: HomePaths, record: StartupRecord, owner: {uid: number; gid: number}): void {
  const created = !existsSync(paths.startupDir)
  mkdirSync(paths.startupDir, {recursive: true, mode: 0o700})
  writeFileAtomic(paths.startupFile, JSON.stringify(record, null, 2) + '\n', {mode: 0o600, durable: true})
  if (process.getuid?.() === 0) {
    if (created) chownSync(paths.startupDir, owner.uid, owner.gid)
    chownSync(paths.startupFile, owner.uid, owner.gid)
  }
}

export function removeStartupRecord(paths: HomePaths): void {
  rmSync(paths.startupFile, {force: true})
}
