import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, isAbsolute, join} from 'node:path'

/** Where `command` is found on PATH (an executable file), as the spawn of an app would find it. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  if (isAbsolute(command) || command.includes('/')) return isExecutableFile(command) ? command : undefined
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    if (isExecutableFile(candidate)) return candidate
  }

  return undefined
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
