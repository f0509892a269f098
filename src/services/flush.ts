import type {Output} from '../cli/errors.js'
import type {FlushResponse} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {SupervisorNotRunningError} from '../client/supervisor-client.js'
import {emptyLogFile} from '../store/log-times.js'
import {type AppLogs, selectAppLogs} from './app-logs.js'

export type FlushResult = FlushResponse['results'][number]

/**
 * `tspm flush`: empties log files. The supervisor empties those it writes (RotatingLog.flush: the
 * apps keep writing, nothing written after the flush is lost); files nobody writes (no supervisor,
 * or an app it no longer has) are emptied here. Every name is checked before anything is emptied.
 */
export async function flushLogs(paths: HomePaths, names: string[], output: Output): Promise<{results: FlushResult[]}> {
  let client
  try {
    client = await connectExisting(paths)
  } catch (error) {
    if (!(error instanceof SupervisorNotRunningError)) throw error
  }

  const results: FlushResult[] = []
  if (client) {
    const listed = await client.list()
    const managed = new Set(['all', ...listed.flatMap((info) => [info.name, info.id, `${info.name}:${info.instance}`])])
    const targets = names.length === 0 ? ['all'] : [...new Set(names)]
    const elsewhere = targets.filter((name) => !managed.has(name))
    const direct = elsewhere.length > 0 ? await selectAppLogs(paths, elsewhere) : []
    for (const target of targets.filter((name) => managed.has(name)))
      results.push(...(await client.flush(target)).results)
    results.push(...direct.map((app) => emptyApp(app)))
  } else {
    results.push(...(await selectAppLogs(paths, names)).map((app) => emptyApp(app)))
  }

  for (const {name, emptied, removed} of results) {
    const what = emptied.length > 0 ? emptied.join(', ') : 'no log file yet'
    const rotated =
      removed.length > 0 ? ` (and ${removed.length} rotated file${removed.length === 1 ? '' : 's'} removed)` : ''
    output.log(`flushed ${name}: ${what}${rotated}`)
  }

  if (results.length === 0) output.log('no processes')
  return {results}
}

function emptyApp({settings, instances, namedInstance}: AppLogs): FlushResult {
  const paths = new Set(instances.flatMap(({files}) => [files.out, files.err, files.combined ?? []].flat()))
  const result: FlushResult = {
    name: namedInstance && instances.length === 1 ? `${settings.name}:${instances[0]!.instance}` : settings.name,
    emptied: [],
    removed: [],
  }
  for (const path of paths) {
    if (path === '/dev/null') continue
    const done = emptyLogFile(path)
    result.emptied.push(...done.emptied)
    result.removed.push(...done.removed)
  }

  return result
}
