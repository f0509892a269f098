/** Human faces of numbers shown by `list` and friends. */

export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }

  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

const COLOURS = {red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, inverse: 7} as const
export type Colour = keyof typeof COLOURS

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR
}

export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  return enabled && colour ? `\u001B[${COLOURS[colour]}m${text}\u001B[0m` : text
}

export interface Column<Row> {
  header: string
  value: (row: Row) => string
  colour?: (row: Row) => Colour | undefined
  align?: 'left' | 'right'
}

/** A plain text table; widths come from the uncoloured text so colour never breaks alignment. */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[], colour: boolean): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)))
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index].length)),
  )
  const pad = (text: string, index: number) =>
    columns[index].align === 'right' ? text.padStart(widths[index]) : text.padEnd(widths[index])
  const header = columns.map((column, index) => paint(pad(column.header, index), 'dim', colour)).join('  ')
  const body = rows.map((row, rowIndex) =>
    columns
      .map((column, index) => paint(pad(cells[rowIndex][index], index), column.colour?.(row), colour))
      .join('  ')
      .trimEnd(),
  )
  return [header.trimEnd(), ...body].join('\n')
}
