// Small statistics and formatting helpers.

export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

/** Nearest-rank percentile (p in 0..100): a value that was actually observed. */
export function percentile(values, p) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return Number.NaN
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]
}

export const max = (values) => (values.length > 0 ? Math.max(...values) : Number.NaN)

export const MiB = 1024 * 1024

export function fmt(x, digits = 0) {
  if (x === undefined || x === null || Number.isNaN(x)) return 'n/a'
  if (typeof x !== 'number') return String(x)
  return x.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits})
}

export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.NaN
  if (b === 0) return a === 0 ? Number.NaN : Infinity
  return a / b
}

export function fmtRatio(r) {
  if (Number.isNaN(r)) return 'n/a'
  if (r === Infinity) return '∞'
  return `${r.toFixed(2)}x`
}

export const sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })
