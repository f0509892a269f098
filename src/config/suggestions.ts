/** Unknown keys: suggest the nearest known key. */

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const best = closestKey(key, known)
  if (best) return `unknown key; did you mean "${best}"?`
  if (known.includes('processes')) {
    return 'unknown key; the top level holds "processes" (or PM2\'s "apps"), "metrics" and, for shared YAML anchors, keys starting with "x-"'
  }

  return 'unknown key'
}

/** The known key a mistyped one most likely meant, if one is close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate)
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }

  // Allow roughly one typo per three letters; beyond that the "suggestion" is a random key.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined
}

/** Levenshtein distance that also counts swapping two neighbouring letters as one edit. */
function editDistance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) =>
    Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }

  return d[a.length]![b.length]!
}
