/** Time as the supervisor sees it; tests inject a fake one so backoff delays are exact. */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

const MS_PER_DAY = 86_400_000

/**
 * What `new Date(ms).toISOString()` returns (years 0-9999), by arithmetic: V8's Date code loads
 * ICU's time zone data on first use, about 0.9 MB the supervisor would keep resident for good.
 */
export function isoTimestamp(ms: number = Date.now()): string {
  const days = Math.floor(ms / MS_PER_DAY)
  const msOfDay = ms - days * MS_PER_DAY
  // Days since 1970-01-01 to a proleptic Gregorian date, in 400-year eras starting on March 1.
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const pad = (value: number, width = 2) => String(value).padStart(width, '0')
  const time = `${pad(Math.floor(msOfDay / 3_600_000))}:${pad(Math.floor(msOfDay / 60_000) % 60)}:${pad(Math.floor(msOfDay / 1000) % 60)}`
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}.${pad(msOfDay % 1000, 3)}Z`
}
