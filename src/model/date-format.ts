/**
 * PM2's log_date_format, in the day.js syntax PM2 documents (`YYYY-MM-DD HH:mm:ss Z`), compiled
 * once into a function of the time. The tokens below are supported; day.js tokens that are not
 * (month and day names...) are an error that names them, checked when the config is read; other
 * letters are written as they are, as day.js does (the T of `YYYY-MM-DDTHH:mm:ss`). Local time.
 */
const SUPPORTED = [
  'YYYY',
  'YY',
  'MM',
  'M',
  'DD',
  'D',
  'HH',
  'H',
  'hh',
  'h',
  'mm',
  'm',
  'ss',
  's',
  'SSS',
  'ZZ',
  'Z',
  'A',
  'a',
  'X',
  'x',
]
const SUPPORTED_DATE_TOKENS = `${SUPPORTED.join(' ')} and [literal text]`
/** day.js tokens tspm does not write (names of months and days, and the advanced plugin's): an error. */
const UNSUPPORTED = new Set([
  'd',
  'dd',
  'ddd',
  'dddd',
  'Do',
  'gggg',
  'GGGG',
  'k',
  'kk',
  'MMM',
  'MMMM',
  'Q',
  'S',
  'SS',
  'w',
  'W',
  'ww',
  'WW',
  'z',
  'zzz',
])

/** PM2's format for `time: true`. */
export const PM2_TIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss'

type Part = (date: Date) => string

const pad = (value: number, width = 2) => String(Math.abs(value)).padStart(width, '0')

function offset(date: Date, colon: boolean): string {
  const minutes = -date.getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}${colon ? ':' : ''}${pad(Math.abs(minutes) % 60)}`
}

const TOKEN_PARTS: Record<string, Part> = {
  YYYY: (d) => pad(d.getFullYear(), 4),
  YY: (d) => pad(d.getFullYear() % 100),
  MM: (d) => pad(d.getMonth() + 1),
  M: (d) => String(d.getMonth() + 1),
  DD: (d) => pad(d.getDate()),
  D: (d) => String(d.getDate()),
  HH: (d) => pad(d.getHours()),
  H: (d) => String(d.getHours()),
  hh: (d) => pad(d.getHours() % 12 || 12),
  h: (d) => String(d.getHours() % 12 || 12),
  mm: (d) => pad(d.getMinutes()),
  m: (d) => String(d.getMinutes()),
  ss: (d) => pad(d.getSeconds()),
  s: (d) => String(d.getSeconds()),
  SSS: (d) => pad(d.getMilliseconds(), 3),
  ZZ: (d) => offset(d, false),
  Z: (d) => offset(d, true),
  A: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  a: (d) => (d.getHours() < 12 ? 'am' : 'pm'),
  X: (d) => String(Math.floor(d.getTime() / 1000)),
  x: (d) => String(d.getTime()),
}

/** The format as a function of epoch milliseconds; a RangeError names what is not supported. */
export function compileDateFormat(format: string): (ms: number) => string {
  const parts: Part[] = []
  // A run of one letter is one token (`MMM` is not `MM` + `M`); [brackets] keep text as it is.
  const pattern = /\[([^\]]*)\]|Do|([A-Za-z])\2*|[^A-Za-z[]+|\[/g
  for (const [whole, literal] of format.matchAll(pattern)) {
    const part = TOKEN_PARTS[whole]
    if (literal !== undefined) parts.push(() => literal)
    else if (part) parts.push(part)
    else if (UNSUPPORTED.has(whole)) {
      throw new RangeError(`"${whole}" is not supported in a log date format; tspm supports ${SUPPORTED_DATE_TOKENS}`)
    } else parts.push(() => whole)
  }

  return (ms) => {
    const date = new Date(ms)
    let text = ''
    for (const part of parts) text += part(date)
    return text
  }
}
