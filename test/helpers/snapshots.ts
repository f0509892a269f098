/**
 * Committed snapshots that make a change of the CLI's surface or of a stored format a visible
 * decision: test/command-snapshot.json (every command, alias and flag) and schemas/*.json (the
 * JSON Schemas of dump.json, status.json and startup.json, from their zod schemas).
 * `npm run snapshot` writes them anew (UPDATE_SNAPSHOTS=1); the tests compare.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {toJSONSchema} from 'zod/mini'

import {dumpSchema} from '../../src/store/dump-schema.js'
import {startupRecordSchema} from '../../src/store/startup-record.js'
import {statusFileSchema} from '../../src/store/status-schema.js'
import {REPO_ROOT} from './cli.js'

interface ManifestFlag {
  char?: string
  name: string
  type: 'boolean' | 'option'
  multiple?: boolean
}

interface ManifestCommand {
  aliases: string[]
  hiddenAliases?: string[]
  args: Record<string, {required?: boolean}>
  flags: Record<string, ManifestFlag>
}

export const COMMAND_SNAPSHOT_FILE = join(REPO_ROOT, 'test', 'command-snapshot.json')

/** Each command of the core: its aliases (hidden ones marked) and flags (with their one-letter form). */
export function commandSnapshot(): unknown {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, ManifestCommand>
  }
  return Object.entries(manifest.commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, command]) => ({
      command: id,
      aliases: [...command.aliases, ...(command.hiddenAliases ?? []).map((alias) => `${alias} (hidden)`)],
      args: Object.entries(command.args).map(([name, arg]) => (arg.required ? name : `[${name}]`)),
      flags: Object.values(command.flags)
        .map(
          (flag) =>
            `${flag.char ? `-${flag.char}, ` : ''}--${flag.name}${flag.type === 'option' ? '=VALUE' : ''}${flag.multiple ? '...' : ''}`,
        )
        .sort(),
    }))
}

export const SCHEMA_FILES = {
  'dump.schema.json': dumpSchema,
  'status.schema.json': statusFileSchema,
  'startup.schema.json': startupRecordSchema,
} as const

/** The JSON Schema of one stored format, as committed under schemas/. */
export function storedSchema(file: keyof typeof SCHEMA_FILES): unknown {
  // io: 'input' describes what a file may hold (a default makes a key optional there).
  return toJSONSchema(SCHEMA_FILES[file], {io: 'input', unrepresentable: 'any'})
}
