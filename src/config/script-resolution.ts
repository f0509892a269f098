/** Where a script and its interpreter are found, and the process name a bare script gets. */
import {existsSync} from 'node:fs'
import {basename, extname, isAbsolute, join, resolve} from 'node:path'

import {findOnPath} from '../os/path-lookup.js'
import {splitArgs} from './split-args.js'

/**
 * A path (absolute, containing '/', or a file present in cwd) becomes absolute; anything else is a
 * command name that the spawn looks up on PATH, like `python3` or `npm`.
 */
/**
 * A script given as a command line (`npm run start`, PM2 runs it through a shell) is split into
 * the command and its arguments, like `args` (no shell runs it); a file of that name wins.
 */
export function splitCommandLine(script: string, cwd: string): {args: string[]; script: string} {
  const trimmed = script.trim()
  if (!/\s/.test(trimmed) || existsSync(resolve(cwd, trimmed))) return {script: trimmed, args: []}
  const [command, ...args] = splitArgs(trimmed)
  return {script: command!, args}
}

export function resolveScript(script: string, cwd: string): string {
  if (isAbsolute(script) || script.includes('/') || existsSync(join(cwd, script))) return resolve(cwd, script)
  return script
}

/**
 * The interpreter of a script with none given, by its extension, as PM2 chooses it: JavaScript
 * runs with the Node that runs tspm, `.py` with python3 (PM2 tries `python` first; that is
 * Python 2 on older systems), `.sh` with bash (sh where there is none), `.rb` ruby, `.pl` perl,
 * `.php` php; TypeScript with bun or tsx, whichever is on PATH, else with this Node when it strips
 * types itself (22.18 and later). Anything else runs directly (it needs its execute bit).
 */
function interpreterFor(script: string): string | undefined {
  const extension = extname(script).toLowerCase()
  if (['.cjs', '.js', '.mjs'].includes(extension)) return process.execPath
  if (TYPESCRIPT_EXTENSIONS.has(extension)) {
    const runner = ['bun', 'tsx'].find((command) => findOnPath(command))
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    return runner ?? (major > 22 || (major === 22 && minor >= 18) ? process.execPath : undefined)
  }

  if (extension === '.sh' && !findOnPath('bash')) return 'sh'
  return EXTENSION_INTERPRETERS[extension]
}

/** The interpreter of a script by its extension (with bash, `.sh` falls back to sh where there is none). */
export const EXTENSION_INTERPRETERS: Readonly<Record<string, string>> = {
  '.php': 'php',
  '.pl': 'perl',
  '.py': 'python3',
  '.rb': 'ruby',
  '.sh': 'bash',
}
export const TYPESCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['.cts', '.mts', '.ts', '.tsx'])

/**
 * No interpreter: chosen by the script's extension (interpreterFor). `none` forces running
 * directly; a relative path with '/' is taken from cwd; a bare name stays a name for PATH lookup.
 */
export function resolveInterpreter(interpreter: string | undefined, script: string, cwd: string): string | undefined {
  if (interpreter === undefined) return interpreterFor(script)
  if (interpreter === 'none') return undefined
  if (isAbsolute(interpreter) || interpreter.includes('/')) return resolve(cwd, interpreter)
  return interpreter
}

/** `./bin/my server.mjs` -> `my-server`: other characters become '-', edges are trimmed. */
export function nameFromScript(script: string): string {
  const base = basename(script)
  const stem = base.slice(0, base.length - extname(base).length)
  return stem
    .replaceAll(/[^A-Za-z0-9._-]+/g, '-')
    .replaceAll(/^[-._]+|[-.]+$/g, '')
    .slice(0, 200)
}
