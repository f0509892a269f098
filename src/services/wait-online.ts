import {setTimeout as delay} from 'node:timers/promises'

import type {Output} from '../cli/errors.js'
import type {SupervisorClient} from '../client/supervisor-client.js'
import type {ProcessInfo, StartTarget, WaitResponse} from '../model/api.js'

import {TspmError} from '../model/exit-codes.js'

const POLL_MS = 100

export type {StartTarget} from '../model/api.js'

/** How a start ended: online, or not and why (the check that failed, an exit before it was ready...). */
export type Settled = WaitResponse['results'][number]

/**
 * Waits until each start asked for is settled: the process is online (its ready check passed), or
 * that start failed (not ready in time, exited first, waiting on a dependency that failed). On a
 * terminal it shows a live line per process on stderr (polling the table); otherwise it asks the
 * supervisor once, which answers when all are settled, and prints one line per process. Fails
 * naming every process that did not come online, and why.
 */
export async function waitUntilOnline(
  client: SupervisorClient,
  targets: StartTarget[],
  output: Output,
  options: {live?: boolean} = {},
): Promise<Settled[]> {
  if (targets.length === 0) return []
  const live = options.live ?? (!output.json && Boolean(process.stderr.isTTY))
  const settled = live ? await showLive(new StartWatcher(client, targets)) : await reportLines(client, targets, output)
  const failed = settled.filter((entry) => !entry.online)
  if (failed.length > 0) {
    throw new TspmError(failed.map((entry) => `${entry.name} did not come online: ${entry.message}`).join('\n'), {
      code: 'not_ready',
      result: settled,
    })
  }

  return settled
}

/** One request that the supervisor answers once all are settled, then one line per process. */
async function reportLines(client: SupervisorClient, targets: StartTarget[], output: Output): Promise<Settled[]> {
  const {results} = await client.waitSettled(targets)
  for (const entry of results) if (entry.online) output.log(`${entry.name} is online`)
  return results
}

/** Listr2's live task list on stderr: each process's status until it settles. */
async function showLive(watcher: StartWatcher): Promise<Settled[]> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const results = new Map<string, Settled>()
  const list = new Listr(
    watcher.targets.map(({name}) => ({
      title: name,
      async task(_context: unknown, task: {output: string; title: string}) {
        const done = watcher.settled(name)
        let entry: null | Settled = null
        while (!entry) {
          task.output = watcher.describe(name)
          entry = await Promise.race([done, delay(POLL_MS, null)])
        }

        results.set(name, entry)
        if (!entry.online) throw new Error(entry.message ?? 'failed')
        task.title = `${name} is online`
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      renderer: 'default',
      rendererOptions: {logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})},
      registerSignalListeners: false,
    } as never,
  )
  await list.run().catch(() => {})
  return watcher.targets.map(({name}) => results.get(name)!)
}

/** One poll of the supervisor's table at a time, shared by everyone waiting. */
class StartWatcher {
  private latest = new Map<string, ProcessInfo>()
  private readonly waiters = new Map<string, Promise<Settled>>()
  private polling: Promise<void> | undefined

  constructor(
    private readonly client: SupervisorClient,
    readonly targets: StartTarget[],
  ) {}

  settled(name: string): Promise<Settled> {
    let waiter = this.waiters.get(name)
    if (!waiter) {
      waiter = this.follow(this.targets.find((target) => target.name === name)!)
      this.waiters.set(name, waiter)
    }

    return waiter
  }

  /** What a process is doing now, for the live view. */
  describe(name: string): string {
    const info = this.latest.get(name)
    if (!info) return 'asking the supervisor'
    return info.status_detail ? `${info.status}: ${info.status_detail}` : info.status
  }

  private async follow(target: StartTarget): Promise<Settled> {
    for (;;) {
      await this.poll()
      const info = this.latest.get(target.name)
      if (!info) return {name: target.name, online: false, message: 'it was deleted meanwhile'}
      const {start} = info
      if (start.attempt >= target.attempt && start.outcome !== 'pending') {
        return {name: target.name, online: start.outcome === 'ready', message: start.message}
      }

      await delay(POLL_MS)
    }
  }

  private poll(): Promise<void> {
    this.polling ??= this.client
      .list()
      .then((processes) => {
        this.latest = new Map(processes.map((info) => [info.id, info]))
      })
      .finally(() => {
        this.polling = undefined
      })
    return this.polling
  }
}
