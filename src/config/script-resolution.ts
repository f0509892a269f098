/** Where a script and its interpreter are found, and the process name a bare script gets. */
import {existsSync} from 'node:fs'
import {basename, extname, isAbsolute, join, resolve} from 'node:path'

/**
 * A path (absolute, containing '/', or a file present in cwd) becomes absolute; anything else is a
 * command name that the spawn looks up on PATH, like `python3` or `npm`.
 */
export function resolveScript(script: string, cwd: string): string {
  if (isAbsolute(script) || script.includes('/') || existsSync(join(cwd, script))) return resolve(cwd, script)
  return script
}

/**
 * No interpreter: JavaScript files run with the Node that runs tspm, anything else runs directly.
 * `none` forces running directly; a relative path with '/' is taken from cwd; a bare name stays
 * a name for PATH lookup.
 */
export function resolveInterpreter(interpreter: string | undefined, script: string, cwd: string): string | undefined {
  if (interpreter === undefined) return /\.[cm]?js$/i.test(script) ? process.execPath : undefined
  if (interpreter === 'none') return undefined
  if (isAbsolute(interpreter) || interpreter.includes('/')) return resolve(cwd, interpreter)
  return interpreter
}

/** `./bin/my server.mjs` -> `my-server`: other characters become '-', edges are trimmed. */
export function nameFromScript(script: string): string {
  const base = basename(script)
  const stem = base.slice(0, base.length - extname(base).length)
  return stem.replaceAll(/[^A-Za-z0-9._-]+/g, '-').replaceAll(/^[-.]+|[-.]+$/g, '')
}
