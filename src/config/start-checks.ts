/**
 * What `tspm start` checks before it reports anything started: that each process can run at all.
 * The script is a file (or a command on PATH), it is executable or has an interpreter, the
 * interpreter is on PATH, cwd is a folder. Each problem names the key and what to do.
 */
import {statSync} from 'node:fs'
import {basename, dirname, extname, relative} from 'node:path'

import type {ProcessSpec} from '../model/process-spec.js'

import {findOnPath, isExecutableFile} from '../os/path-lookup.js'
import {EXTENSION_INTERPRETERS, TYPESCRIPT_EXTENSIONS} from './script-resolution.js'

export interface RunProblem {
  key: 'cwd' | 'error_file' | 'interpreter' | 'listen' | 'log_file' | 'out_file' | 'script'
  message: string
}

function kind(path: string): 'file' | 'folder' | 'missing' | 'other' {
  try {
    const stat = statSync(path)
    return stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : 'other'
  } catch {
    return 'missing'
  }
}

/** The script: a file that can run (executable, or with an interpreter), or a command on PATH. */
function scriptProblems(spec: ProcessSpec, searchPath: string): RunProblem[] {
  const problems: RunProblem[] = []
  const shown = relative(spec.cwd, spec.script).startsWith('..')
    ? spec.script
    : relative(spec.cwd, spec.script) || spec.script
  if (spec.script.startsWith('/')) {
    const script = kind(spec.script)
    if (script === 'missing')
      problems.push({
        key: 'script',
        message: `${spec.script} does not exist; check the path (relative paths start at cwd, ${spec.cwd})`,
      })
    else if (script !== 'file')
      problems.push({
        key: 'script',
        message: `${spec.script} is a ${script === 'folder' ? 'folder' : 'special file'}, not a script`,
      })
    else if (spec.interpreter === undefined && !isExecutableFile(spec.script)) {
      const extension = extname(spec.script).toLowerCase()
      const typescript = TYPESCRIPT_EXTENSIONS.has(extension)
      const guess = EXTENSION_INTERPRETERS[extension]
      problems.push({
        key: 'script',
        message: typescript
          ? `${basename(spec.script)} is TypeScript and neither bun nor tsx is on PATH: install tsx (npm install -g tsx) or bun, or set interpreter:`
          : `${basename(spec.script)} is not executable: run chmod +x ${shown}, or ${guess ? `set interpreter: ${guess}` : 'name the program that runs it (interpreter: in a config, --interpreter for a script)'}`,
      })
    }
  } else if (spec.interpreter !== undefined) {
    problems.push({key: 'script', message: `${spec.script} does not exist in ${spec.cwd}; check the path`})
  } else if (!findOnPath(spec.script, searchPath)) {
    problems.push({key: 'script', message: `"${spec.script}" is neither a file in ${spec.cwd} nor a command on PATH`})
  }

  return problems
}

export function runProblems(spec: ProcessSpec): RunProblem[] {
  const searchPath = spec.env.PATH ?? process.env.PATH ?? ''
  const cwd = kind(spec.cwd)
  if (cwd !== 'folder') {
    return [
      {
        key: 'cwd',
        message: cwd === 'missing' ? `${spec.cwd} does not exist; create it or fix cwd` : `${spec.cwd} is not a folder`,
      },
    ]
  }

  const problems: RunProblem[] = scriptProblems(spec, searchPath)
  for (const key of ['out_file', 'error_file', 'log_file'] as const) {
    const file = spec[key]
    if (file === undefined || file === '/dev/null') continue
    if (kind(dirname(file)) !== 'folder')
      problems.push({key, message: `${dirname(file)} does not exist; create it, or write the log elsewhere`})
    else if (kind(file) === 'folder') problems.push({key, message: `${file} is a folder; give a file path`})
  }

  for (const address of spec.listen) {
    if (address.kind === 'unix' && kind(dirname(address.path)) !== 'folder')
      problems.push({
        key: 'listen',
        message: `${dirname(address.path)} does not exist; create it, or put the socket elsewhere`,
      })
  }

  if (spec.interpreter !== undefined && !findOnPath(spec.interpreter, searchPath)) {
    problems.push({
      key: 'interpreter',
      message: spec.interpreter.includes('/')
        ? `${spec.interpreter} is not an executable file`
        : `${spec.interpreter} is not on PATH: install it, or give its full path`,
    })
  }

  return problems
}
