import type {Output} from '../cli/errors.js'
import type {SupervisorClient} from '../client/supervisor-client.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {TspmError} from '../model/exit-codes.js'
import {type Settled, waitUntilOnline} from './wait-online.js'

export type ProcessAction = 'delete' | 'reset' | 'restart' | 'stop'

const PAST_TENSE: Record<ProcessAction, string> = {
  delete: 'deleted',
  reset: 'reset',
  restart: 'restarted',
  stop: 'stopped',
}
/** What the command says it did, before the ids. */
const DONE: Record<ProcessAction, string> = {...PAST_TENSE, reset: 'restart counters set to 0 for'}

/**
 * stop, restart, reset and delete of names (an app, one instance such as `web:2`, or "all"), on the
 * running supervisor. Every name is checked before anything is done: a typo stops nothing.
 */
export async function actOnProcesses(
  paths: HomePaths,
  {action, targets, wait = false}: {action: ProcessAction; targets: string[]; wait?: boolean},
  output: Output,
): Promise<{names: string[]; settled?: Settled[]}> {
  const client = await connectExisting(paths)
  if (targets.length > 1) {
    const listed = await client.list()
    const known = new Set([
      'all',
      ...listed.flatMap((info) => [info.name, info.id, `${info.name}:${info.instance}`, String(info.number)]),
    ])
    const unknown = targets.filter((target) => !known.has(target))
    if (unknown.length > 0) {
      const names = [...new Set(listed.map((info) => info.name))]
      throw new TspmError(
        `no process named ${unknown.map((name) => `"${name}"`).join(', ')}; known: ${names.join(', ') || 'none'}; nothing was ${PAST_TENSE[action]}`,
        {code: 'unknown_process'},
      )
    }
  }

  const names: string[] = []
  for (const target of new Set(targets)) names.push(...(await client.act(action, target)))
  output.log(names.length > 0 ? `${DONE[action]} ${names.join(', ')}` : 'no processes')
  if (action === 'restart') await noteEditedConfigs(client, names, output)
  if (action !== 'restart' || !wait) return {names}
  // A restart is a start: wait for each to be online again, as `tspm start` does.
  const current = new Map((await client.list()).map((info) => [info.id, info.start.attempt]))
  const starts = names.flatMap((name) => (current.has(name) ? [{name, attempt: current.get(name)!}] : []))
  return {names, settled: await waitUntilOnline(client, starts, output)}
}

/**
 * A restart keeps the definition a process runs with. When its config file now says something
 * else, say so, and how to apply it.
 */
async function noteEditedConfigs(client: SupervisorClient, ids: string[], output: Output): Promise<void> {
  const names = new Set(ids.map((id) => id.replace(/:\d+$/, '')))
  const specs = (await client.saved())
    .map((entry) => entry.spec)
    .filter((spec) => names.has(spec.name) && spec.config_file)
  if (specs.length === 0) return
  const {loadConfigFile} = await import('../config/load-config.js')
  const {definitionChanges} = await import('./apply.js')
  const files = new Map<string, Promise<ProcessSpec[]>>()
  for (const spec of specs) {
    const key = `${spec.config_file}\0${spec.config_env ?? ''}`
    if (!files.has(key))
      files.set(
        key,
        loadConfigFile(spec.config_file!, {env: spec.config_env}).catch(() => []),
      )
    const now = (await files.get(key)!).find((candidate) => candidate.name === spec.name)
    const changes = now ? definitionChanges(spec, now) : []
    if (changes.length > 0) {
      output.note(
        `${spec.name}: ${spec.config_file} has changed since it started (${changes.join(', ')}); restart keeps the running definition, \`tspm start -c ${spec.config_file}${spec.config_env ? ` --env ${spec.config_env}` : ''}\` applies the file`,
      )
    }
  }
}
