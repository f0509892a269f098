/**
 * Text as a terminal lays it out: how many columns a string takes, cut or padded to a width, and
 * an app's log line made safe to show (its own escape sequences and control characters would move
 * the cursor or change colours in the middle of the view).
 */
import {stripVTControlCharacters} from 'node:util'

/** Characters that take no column: combining marks, zero-width joiners, variation selectors. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u
/** East Asian wide and fullwidth characters, and the emoji blocks: two columns each. */
const WIDE =
  /[\u1100-\u115F\u2329\u232A\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u

function charWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0
  return WIDE.test(char) ? 2 : 1
}

/** The columns `text` takes on a terminal (text without escape sequences). */
export function displayWidth(text: string): number {
  let width = 0
  for (const char of text) width += charWidth(char)
  return width
}

/** `text` cut to at most `width` columns, ending in `ellipsis` when something was cut. */
export function truncate(text: string, width: number, ellipsis: string): string {
  if (width <= 0) return ''
  if (displayWidth(text) <= width) return text
  const room = width - displayWidth(ellipsis)
  let kept = ''
  let used = 0
  for (const char of text) {
    const next = charWidth(char)
    if (used + next > room) break
    kept += char
    used += next
  }

  return room > 0 ? kept + ellipsis : kept
}

/** Exactly `width` columns: cut, or filled with spaces on the right (or on the left for `align: right`). */
export function fit(text: string, width: number, ellipsis: string, align: 'left' | 'right' = 'left'): string {
  const cut = truncate(text, width, ellipsis)
  const fill = ' '.repeat(Math.max(0, width - displayWidth(cut)))
  return align === 'right' ? fill + cut : cut + fill
}

/**
 * A line an app wrote, as plain text: escape sequences removed, what a carriage return wrote over
 * dropped (a progress bar's last state stays), tabs as spaces, any other control character gone.
 */
export function plainLogLine(line: string): string {
  const segments = stripVTControlCharacters(line).split('\r')
  const shown = segments.findLast((segment) => segment !== '') ?? ''
  let text = ''
  for (const char of shown) {
    if (char === '\t') text += ' '.repeat(8 - (displayWidth(text) % 8))
    // eslint-disable-next-line no-control-regex
    else if (!/[\u0000-\u001F\u007F-\u009F]/.test(char)) text += char
  }

  return text
}
