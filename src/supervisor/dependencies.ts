/**
 * depends_on inside the supervisor: whether a process may start now (everything it depends on is
 * online), what it waits for otherwise, and the order to stop many in (dependents first).
 */

/** What the supervisor knows of each process, by name. */
export interface DependencyView {
  status: string
  /** The outcome of its latest start: a start that failed leaves its dependents waiting on it. */
  startFailed: boolean
  dependsOn: readonly string[]
}

export interface Blockers {
  /** Dependencies that are not online yet. */
  waitingFor: string[]
  /** Why it may never start without help: a dependency that failed, stopped, or is unknown. */
  problems: string[]
}

export function blockers(name: string, processes: ReadonlyMap<string, DependencyView>): Blockers {
  const waitingFor: string[] = []
  const problems: string[] = []
  for (const dependency of processes.get(name)?.dependsOn ?? []) {
    const view = processes.get(dependency)
    if (view?.status === 'online') continue
    waitingFor.push(dependency)
    if (!view) problems.push(`${dependency} is not managed by this supervisor`)
    else if (view.status === 'errored' || view.status === 'stopped') problems.push(`${dependency} is ${view.status}`)
    else if (view.startFailed) problems.push(`${dependency} did not become ready`)
  }

  return {waitingFor, problems}
}

/** The detail a waiting process shows: `waiting for db, cache (db is errored)`. */
export function waitingDetail({waitingFor, problems}: Blockers): string {
  return `waiting for ${waitingFor.join(', ')} to be online${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`
}

/**
 * The order to stop `names` in: waves, each of the processes that nothing still running among
 * them depends on, so a dependent always stops before what it depends on.
 */
export function stopWaves(names: readonly string[], dependsOn: (name: string) => readonly string[]): string[][] {
  const left = new Set(names)
  const waves: string[][] = []
  while (left.size > 0) {
    const needed = new Set([...left].flatMap((name) => dependsOn(name).filter((dependency) => left.has(dependency))))
    let wave = [...left].filter((name) => !needed.has(name))
    // A cycle (impossible from a config file) must still stop: all that is left, at once.
    if (wave.length === 0) wave = [...left]
    for (const name of wave) left.delete(name)
    waves.push(wave)
  }

  return waves
}
