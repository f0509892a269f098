/**
 * $TSPM_HOME/startup/startup.json: what `tspm startup` installed, so that `unstartup` can remove
 * it and `tspm start` can say how to start the service. This module is its only reader and writer.
 */
import {chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync} from 'node:fs'

import type {HomePaths} from './home.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {PLATFORM_NAME_PATTERN, SERVICE_NAME_PATTERN} from '../model/names.js'
import * as z from '../vendor/zod.js'
import {writeFileAtomic} from './atomic-file.js'

export const startupRecordSchema = z.object({
  platform: z.string().check(z.regex(PLATFORM_NAME_PATTERN, 'is not a platform name tspm startup writes')),
  /** Whose service manager runs it (StartupPlatform.scope); records written before it was kept are `system`. */
  scope: z._default(z.enum(['system', 'user']), 'system'),
  service_name: z.string().check(z.regex(SERVICE_NAME_PATTERN, 'is not a service name tspm startup writes')),
  unit_path: z.string().check(z.minLength(1)),
  user: z.string().check(z.minLength(1)),
  home: z.string().check(z.minLength(1)),
  tspm_home: z.string().check(z.minLength(1)),
  runtime: z.string().check(z.minLength(1)),
  tspm: z.string().check(z.minLength(1)),
  tspm_version: z.string(),
  /** What starts the installed service, as the platform says (shown when `tspm start` finds it down). */
  start_command: z.optional(z.string()),
  installed_at: z.string(),
})

export type StartupRecord = z.output<typeof startupRecordSchema>

/**
 * startup.json, or undefined when there is none. One that does not read back is an error naming
 * it: the file belongs to the user and root acts on it, so only what startup could have written
 * is accepted.
 */
export function readStartupRecord(paths: HomePaths): StartupRecord | undefined {
  if (!existsSync(paths.startupFile)) return undefined
  const broken = (why: string) =>
    new TspmError(
      `${paths.startupFile} ${why}; fix or remove it (\`tspm startup\` writes it again); nothing was changed`,
      {
        exit: ExitCode.badData,
        code: 'bad_startup_record',
      },
    )
  let data: unknown
  try {
    data = JSON.parse(readFileSync(paths.startupFile, 'utf8'))
  } catch (error) {
    throw broken(`cannot be read (${(error as Error).message})`)
  }

  const result = startupRecordSchema.safeParse(data)
  if (!result.success) {
    const issue = result.error.issues[0]!
    throw broken(issue.path.length > 0 ? `has a bad ${issue.path.join('.')}: ${issue.message}` : issue.message)
  }

  return result.data
}

/**
 * Writes startup.json 0600 (in a 0700 folder), both owned by the service's user. Root writes them
 * under that owner from the start (the folder is made beside and renamed in): the user's own
 * supervisor and CLI check the home meanwhile and would refuse a folder or file of root's.
 */
export function writeStartupRecord(paths: HomePaths, record: StartupRecord, owner: {uid: number; gid: number}): void {
  const asRoot = process.getuid?.() === 0
  if (!existsSync(paths.startupDir)) {
    const temp = `${paths.startupDir}.${process.pid}.tmp`
    mkdirSync(temp, {mode: 0o700})
    try {
      if (asRoot) chownSync(temp, owner.uid, owner.gid)
      renameSync(temp, paths.startupDir)
    } catch (error) {
      rmSync(temp, {force: true, recursive: true})
      // Made meanwhile by another install: that one is used.
      if (!existsSync(paths.startupDir)) throw error
    }
  }

  writeFileAtomic(paths.startupFile, JSON.stringify(record, null, 2) + '\n', {
    mode: 0o600,
    durable: true,
    ...(asRoot ? {owner} : {}),
  })
}

export function removeStartupRecord(paths: HomePaths): void {
  rmSync(paths.startupFile, {force: true})
}
