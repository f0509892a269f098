/**
 * A sparkline: a row of samples drawn as bars of eight heights, the newest at the right. A minute
 * of samples drawn in fewer columns puts several samples in each column, which shows the highest
 * of them, so a short spike is never averaged away. A gap (no sample: not running, not yet
 * watched, no supervisor answering) is a blank.
 */

const UNICODE_BARS = '▁▂▃▄▅▆▇█'
/** For terminals whose locale is not UTF-8: the same eight heights in ASCII. */
const ASCII_BARS = '_.-=+*#@'

export interface SparklineOptions {
  /** Columns to draw. */
  width: number
  /** How many samples the whole width stands for (60: a minute at one a second). */
  span: number
  /** The value of a full bar; larger values are drawn full. */
  ceiling: number
  unicode: boolean
}

/** `samples` oldest first; only the last `span` are drawn. Exactly `width` characters. */
export function sparkline(samples: ReadonlyArray<null | number>, options: SparklineOptions): string {
  const {width, span, ceiling} = options
  if (width <= 0 || span <= 0) return ''
  const bars = options.unicode ? UNICODE_BARS : ASCII_BARS
  const recent = samples.slice(-span)
  // Right-aligned: the part of the span not sampled yet is blank on the left.
  const slots: Array<null | number> = [...Array.from({length: span - recent.length}, () => null), ...recent]
  const columns = Math.min(width, span)
  let line = ''
  for (let column = 0; column < columns; column++) {
    const bucket = slots.slice(Math.floor((column * span) / columns), Math.floor(((column + 1) * span) / columns))
    const values = bucket.filter((value): value is number => value !== null)
    if (values.length === 0) {
      line += ' '
      continue
    }

    const fraction = ceiling > 0 ? Math.min(1, Math.max(0, Math.max(...values) / ceiling)) : 0
    line += bars[Math.round(fraction * (bars.length - 1))]
  }

  return line.padStart(width)
}
