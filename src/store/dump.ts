/**
 * $TSPM_HOME/dump.json, the saved list, and dump.json.bak, the one before: this module is their
 * only reader and writer. Saving loads no schema library (`tspm save` is run often, and zod costs
 * it a third of its time); reading checks every field against dump-schema.ts.
 */
import {existsSync, readFileSync, renameSync} from 'node:fs'

import type {MetricsSettings, SavedProcess} from '../model/api.js'
import type {DumpFile} from './dump-schema.js'

import {ExitCode, TspmError} from '../model/exit-codes.js'
import {removeStaleTempFiles, writeFileAtomic} from './atomic-file.js'
import {ensureHome, type HomePaths, type LogSettings} from './home.js'

export type {DumpFile} from './dump-schema.js'

export const DUMP_FORMAT = 'tspm-dump'
export const DUMP_VERSION = 1

/** Where a dump is broken: the file and, when known, line and column. */
export class BrokenDumpError extends Error {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${file}${where ? `:${where}` : ''}: ${problem}`)
    this.name = 'BrokenDumpError'
  }
}

/**
 * The only writer of dump.json: temp file, fsync, rename, folder fsync; the dump it replaces
 * becomes dump.json.bak. A reader therefore always finds the old list or the new one, whole.
 */
export function writeDump(
  paths: HomePaths,
  processes: SavedProcess[],
  metrics: MetricsSettings | null = null,
): {dump: DumpFile; notes: string[]} {
  ensureHome(paths)
  const dump: DumpFile = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    saved_at: new Date().toISOString(),
    processes: processes.map(({spec, desired, numbers}) => ({...spec, state: desired, ...(numbers ? {numbers} : {})})),
    // Only when there is one, so a dump without it stays readable by a tspm older than metrics.
    ...(metrics ? {metrics} : {}),
  }
  const notes: string[] = []
  removeStaleTempFiles(paths.dumpFile)
  removeStaleTempFiles(paths.dumpBackup)
  if (existsSync(paths.dumpFile)) {
    const previous = readFileSync(paths.dumpFile, 'utf8')
    if (looksLikeDump(previous)) {
      writeOrExplain(paths.dumpBackup, previous, `${paths.dumpFile} was kept as it was, and nothing was saved`)
    } else {
      // A broken dump is never overwritten: it moves aside, whole, for the user to look at.
      const aside = `${paths.dumpFile}.broken-${dump.saved_at.replaceAll(':', '-')}`
      renameSync(paths.dumpFile, aside)
      notes.push(`the previous ${paths.dumpFile} did not read back; it was kept as ${aside}`)
    }
  }

  writeOrExplain(
    paths.dumpFile,
    JSON.stringify(dump, null, 2) + '\n',
    `the previous ${paths.dumpFile} was kept as it was (a copy is in ${paths.dumpBackup})`,
  )
  return {dump, notes}
}

/** A failed write (a full disk, a quota) names the file and what was kept, instead of an errno. */
function writeOrExplain(file: string, text: string, kept: string): void {
  try {
    writeFileAtomic(file, text, {durable: true})
  } catch (error) {
    const {code, message} = error as NodeJS.ErrnoException
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : message
    throw new TspmError(`cannot write ${file}: ${why} (${code ?? 'error'}); ${kept}; free some space and save again`, {
      code: 'write_failed',
    })
  }
}

export interface LoadedDump {
  processes: SavedProcess[]
  /** The metrics listener to open again; undefined when none was saved. */
  metrics?: MetricsSettings
  /** Which file the list came from; `none` when no dump exists yet. */
  source: 'backup' | 'dump' | 'none'
  file?: string
  warnings: string[]
}

/**
 * Reads the saved list. A broken dump.json is reported and left as it is, and dump.json.bak is
 * used instead; when both are broken, a TspmError names both and nothing is changed.
 */
export async function loadDump(paths: HomePaths): Promise<LoadedDump> {
  if (!existsSync(paths.dumpFile) && !existsSync(paths.dumpBackup)) return {processes: [], source: 'none', warnings: []}
  let dumpProblem: BrokenDumpError
  try {
    const dump = await readDump(paths.dumpFile)
    return {processes: toSaved(dump), metrics: dump.metrics, source: 'dump', file: paths.dumpFile, warnings: []}
  } catch (error) {
    if (!(error instanceof BrokenDumpError)) throw error
    dumpProblem = error
  }

  try {
    const backup = await readDump(paths.dumpBackup)
    return {
      processes: toSaved(backup),
      metrics: backup.metrics,
      source: 'backup',
      file: paths.dumpBackup,
      warnings: [
        `${dumpProblem.message}`,
        `using the previous save ${paths.dumpBackup} (saved ${backup.saved_at}); both files are left as they are`,
      ],
    }
  } catch (error) {
    if (!(error instanceof BrokenDumpError)) throw error
    throw new TspmError(
      `cannot resurrect: both saved lists are unusable and were left untouched:\n  ${dumpProblem.message}\n  ${error.message}\nfix or remove them, then start your apps and run \`tspm save\``,
      {exit: ExitCode.badData, code: 'bad_dump'},
    )
  }
}

export async function readDump(file: string): Promise<DumpFile> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    throw new BrokenDumpError(file, '', code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`)
  }

  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new BrokenDumpError(
      file,
      jsonErrorPlace(text, error as Error),
      `not valid JSON (${(error as Error).message}); the file may be truncated`,
    )
  }

  const {dumpSchema} = await import('./dump-schema.js')
  const result = dumpSchema.safeParse(data)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new BrokenDumpError(
    file,
    await placeOfPath(text, issue.path as Array<number | string>),
    `${formatPath(issue.path as Array<number | string>)}: ${issue.message}`,
  )
}

/**
 * Where the saved apps' logs go (name, out_file, error_file, log_file, merge_logs), from dump.json
 * (or its .bak) read without the schema: `tspm logs` needs only these, and the schema library costs
 * it more than its whole answer. Undefined when neither reads as a saved list (resurrect says why).
 */
export function savedLogSettings(paths: HomePaths): LogSettings[] | undefined {
  for (const file of [paths.dumpFile, paths.dumpBackup]) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }

    if (!looksLikeDump(text)) continue
    const {processes} = JSON.parse(text) as {processes: Array<Record<string, unknown>>}
    const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined)
    return processes
      .filter((entry) => typeof entry?.name === 'string')
      .map((entry) => ({
        name: entry.name as string,
        out_file: optionalString(entry.out_file),
        error_file: optionalString(entry.error_file),
        log_file: optionalString(entry.log_file),
        merge_logs: entry.merge_logs === true,
      }))
  }

  return undefined
}

/**
 * Whether a dump.json about to become dump.json.bak reads back as a saved list: JSON with tspm's
 * format header. A cheap look rather than the full schema, so `save` stays light; a file that
 * fails it (truncated, not ours) is moved aside rather than made the backup.
 */
function looksLikeDump(text: string): boolean {
  try {
    const data = JSON.parse(text) as null | Partial<DumpFile>
    return data?.format === DUMP_FORMAT && data.version === DUMP_VERSION && Array.isArray(data.processes)
  } catch {
    return false
  }
}

function toSaved(dump: DumpFile): SavedProcess[] {
  return dump.processes.map(({state, numbers, ...spec}) => ({spec, desired: state, ...(numbers ? {numbers} : {})}))
}

function formatPath(path: Array<number | string>): string {
  let text = ''
  for (const part of path) text = typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part
  return text || '(top level)'
}

/** Line and column of a JSON.parse error, from the position V8 reports (or the end of the text). */
function jsonErrorPlace(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message)
  return lineColumn(text, match ? Number(match[1]) : text.length)
}

/** Line and column of the value at `path`; JSON is YAML, so the yaml parser knows where it is. */
async function placeOfPath(text: string, path: Array<number | string>): Promise<string> {
  // Loaded only for a broken dump: resurrect of a good one should not pay for the yaml parser.
  const {LineCounter, parseDocument} = await import('yaml')
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {lineCounter})
  for (let depth = path.length; depth >= 0; depth--) {
    const node = document.getIn(path.slice(0, depth), true) as undefined | {range?: [number, number, number]}
    if (node?.range) {
      const {line, col} = lineCounter.linePos(node.range[0])
      return `${line}:${col}`
    }
  }

  return ''
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n')
  return `${before.length}:${before.at(-1)!.length + 1}`
}
