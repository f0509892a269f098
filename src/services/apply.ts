/**
 * What `tspm start` does with each definition it was given, against what the supervisor already
 * has: a new name is started; an unchanged one that runs is left alone; a changed one is applied
 * (restarted, or reloaded when it has instances or listen) and the change is said; a script given
 * on the command line never replaces another definition of the same name silently.
 */
import type {SavedProcess} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'

export type StartStep =
  | {kind: 'apply'; spec: ProcessSpec; changes: string[]}
  | {kind: 'keep'; spec: ProcessSpec}
  | {kind: 'refuse'; spec: ProcessSpec; message: string}
  | {kind: 'start'; spec: ProcessSpec; changes: string[]}

/** The keys (and env variables) whose values differ: `script`, `env.GREETING`, `instances`... */
export function definitionChanges(before: ProcessSpec, after: ProcessSpec): string[] {
  const changes: string[] = []
  const keys = new Set([...Object.keys(after), ...Object.keys(before)]) as Set<keyof ProcessSpec>
  for (const key of keys) {
    // Where a definition came from is not how it runs.
    if (key === 'config_file' || key === 'config_env') continue
    if (key === 'env') {
      const names = new Set([...Object.keys(after.env), ...Object.keys(before.env)])
      for (const name of names) if (before.env[name] !== after.env[name]) changes.push(`env.${name}`)
    } else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changes.push(key)
    }
  }

  return changes
}

/**
 * `running`: the names whose app runs (or waits to) now. `fromScript`: the definitions come from
 * `tspm start SCRIPT`, not from a config file.
 */
export function planStart(
  specs: ProcessSpec[],
  known: SavedProcess[],
  running: ReadonlySet<string>,
  fromScript: boolean,
): StartStep[] {
  const byName = new Map(known.map((entry) => [entry.spec.name, entry.spec]))
  return specs.map((spec): StartStep => {
    const existing = byName.get(spec.name)
    if (!existing) return {kind: 'start', spec, changes: []}
    const changes = definitionChanges(existing, spec)
    if (changes.length === 0) return running.has(spec.name) ? {kind: 'keep', spec} : {kind: 'start', spec, changes}
    if (fromScript) {
      const source = existing.config_file ? ` (from ${existing.config_file})` : ''
      return {
        kind: 'refuse',
        spec,
        message: `${spec.name} already exists with another definition${source}: ${changes.join(', ')} differ${changes.length === 1 ? 's' : ''}; \`tspm delete ${spec.name}\` first, or give another --name`,
      }
    }

    return running.has(spec.name) ? {kind: 'apply', spec, changes} : {kind: 'start', spec, changes}
  })
}
