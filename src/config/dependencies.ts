/**
 * `depends_on` across the processes of one file: every name it lists must be a process of the
 * file, not the process itself, and the order must have no cycle. Also the start order the
 * supervisor follows (supervisor/dependencies.ts); here only what makes a file wrong.
 */

export interface DependencyProblem {
  /** The entry and the index in its depends_on list the problem is about. */
  index: number
  item?: number
  message: string
}

export function dependencyProblems(entries: Array<{depends_on?: string[]; name: string}>): DependencyProblem[] {
  const problems: DependencyProblem[] = []
  const names = new Set(entries.map((entry) => entry.name))
  for (const [index, entry] of entries.entries()) {
    for (const [item, dependency] of (entry.depends_on ?? []).entries()) {
      if (dependency === entry.name) {
        problems.push({index, item, message: `${entry.name} cannot depend on itself`})
      } else if (!names.has(dependency)) {
        problems.push({
          index,
          item,
          message: `no process named "${dependency}" in this file (depends_on names processes of the same file; known: ${[...names].join(', ')})`,
        })
      }
    }
  }

  if (problems.length > 0) return problems

  const cycle = findCycle(new Map(entries.map((entry) => [entry.name, entry.depends_on ?? []])))
  if (cycle) {
    const index = entries.findIndex((entry) => entry.name === cycle[0])
    problems.push({index, message: `depends_on goes round in a cycle: ${cycle.join(' → ')}; nothing could start first`})
  }

  return problems
}

/** A cycle of dependencies, as names from one back to itself (`a → b → a`), or undefined. */
export function findCycle(graph: Map<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>()
  const path: string[] = []
  const visit = (name: string): string[] | undefined => {
    const repeat = path.indexOf(name)
    if (repeat !== -1) return [...path.slice(repeat), name]
    if (done.has(name)) return undefined
    path.push(name)
    for (const dependency of graph.get(name) ?? []) {
      const cycle = visit(dependency)
      if (cycle) return cycle
    }

    path.pop()
    done.add(name)
    return undefined
  }

  for (const name of graph.keys()) {
    const cycle = visit(name)
    if (cycle) return cycle
  }

  return undefined
}
