/**
 * A whole config file's data made ready for the schema: the list found under `processes:` or PM2's
 * `apps:`, each entry taken in as PM2 wrote it (pm2-intake.ts), `--env NAME` applied, and the keys
 * the schema never sees (docker-compose's `x-` keys, PM2's `deploy`) left out.
 */
import type {Path} from './problems.js'

import {ignoredKeysWarning, PM2_TOP_LEVEL_KEYS, takeIn} from './pm2-intake.js'
import {describeValue, isMap} from './units.js'

export interface FileIntake {
  /** What the schema validates: `{processes: [...]}`, plus any top-level key it must refuse. */
  data: unknown
  /** The name the file gives its list, for messages. */
  listKey: 'apps' | 'processes'
  /** Paths under `processes`, as the schema's are. */
  problems: Array<{key: boolean; message: string; path: Path}>
  /** The env_<name> set applied to each entry, if any. */
  envSetUsed: Array<string | undefined>
  warnings(file: string): string[]
}

export function takeInFile(raw: unknown, options: {env?: string; strict?: boolean}): FileIntake {
  const intake: FileIntake = {data: raw, listKey: 'processes', problems: [], envSetUsed: [], warnings: () => []}
  if (!isMap(raw)) return intake
  const listKey = 'processes' in raw || !('apps' in raw) ? 'processes' : 'apps'
  intake.listKey = listKey
  if ('processes' in raw && 'apps' in raw) {
    intake.problems.push({
      path: ['apps'],
      key: true,
      message: 'give the list as "processes:" or as PM2\'s "apps:", not both',
    })
  }

  // "x-" keys are ignored (the docker-compose convention), so a file can hold shared settings
  // for anchors: `x-defaults: &defaults` ... `<<: *defaults`.
  const top = Object.fromEntries(
    Object.entries(raw).filter(
      ([key]) => key !== listKey && key !== 'apps' && !key.startsWith('x-') && !PM2_TOP_LEVEL_KEYS.has(key),
    ),
  )
  const list = raw[listKey]
  if (!Array.isArray(list)) {
    intake.data = {...top, ...(list === undefined ? {} : {processes: list})}
    return intake
  }

  const ignored: Array<{key: string; name: string}> = []
  let envSetFound = false
  const entries = list.map((item, index) => {
    const taken = takeIn(item)
    const name = isMap(item) && typeof item.name === 'string' ? item.name : `${listKey}[${index}]`
    for (const {key, message} of taken.doubled)
      intake.problems.push({path: ['processes', index, key], key: true, message})
    for (const [setName, set] of taken.envSets) {
      if (!isMap(set)) {
        intake.problems.push({
          path: ['processes', index, `env_${setName}`],
          key: false,
          message: `expected a map of variable names to values (what --env ${setName} puts over env), got ${describeValue(set)}`,
        })
      }
    }

    for (const key of taken.ignored) {
      if (options.strict) {
        intake.problems.push({
          path: ['processes', index, key],
          key: true,
          message:
            'a PM2 key that means nothing to tspm; remove it, or leave out --strict to have it ignored with a warning',
        })
      } else ignored.push({key, name})
    }

    const set = options.env === undefined ? undefined : taken.envSets.get(options.env)
    intake.envSetUsed[index] = set === undefined ? undefined : options.env
    if (set === undefined || !isMap(set) || !isMap(taken.entry)) return taken.entry
    envSetFound = true
    const entry = taken.entry as Record<string, unknown>
    return {...entry, env: {...(isMap(entry.env) ? entry.env : {}), ...set}}
  })
  intake.data = {...top, processes: entries}
  intake.warnings = (file) => [
    ...(ignored.length > 0 ? [ignoredKeysWarning(file, ignored)] : []),
    ...(options.env !== undefined && !envSetFound
      ? [`${file}: no process has env_${options.env}, so --env ${options.env} changed nothing`]
      : []),
  ]
  return intake
}
