/** monit's keys: what each keypress (as node:readline's emitKeypressEvents decodes it) asks for. */

export type MonitorCommand =
  'down' | 'first' | 'last' | 'page-down' | 'page-up' | 'quit' | 'restart' | 'start' | 'stop' | 'up' | 'yes'

/** What node:readline passes with a keypress. */
export interface Keypress {
  name?: string
  ctrl?: boolean
  meta?: boolean
  shift?: boolean
  sequence?: string
}

const BY_CHARACTER: Record<string, MonitorCommand> = {
  k: 'up',
  j: 'down',
  g: 'first',
  G: 'last',
  r: 'restart',
  s: 'stop',
  S: 'start',
  q: 'quit',
  y: 'yes',
}

const BY_NAME: Record<string, MonitorCommand> = {
  up: 'up',
  down: 'down',
  pageup: 'page-up',
  pagedown: 'page-down',
  home: 'first',
  end: 'last',
}

/** The command a key asks for; undefined for any other key. */
export function commandFor(character: string | undefined, key: Keypress | undefined): MonitorCommand | undefined {
  if (key?.ctrl) return key.name === 'c' ? 'quit' : undefined
  if (key?.meta) return undefined
  if (character !== undefined && Object.hasOwn(BY_CHARACTER, character)) return BY_CHARACTER[character]
  return key?.name !== undefined && Object.hasOwn(BY_NAME, key.name) ? BY_NAME[key.name] : undefined
}

/** How many rows a command moves the selection (negative: up), or undefined when it does not move it. */
export function rowsToMove(command: MonitorCommand | undefined, page: number): number | undefined {
  const rows: Partial<Record<MonitorCommand, number>> = {
    up: -1,
    down: 1,
    'page-up': -page,
    'page-down': page,
    first: -Infinity,
    last: Infinity,
  }
  return command === undefined ? undefined : rows[command]
}

/** The help line: the keys, in the words that fit (the key to quit first when few do). */
export function keyHelp(unicode: boolean, columns: number): string {
  const full = `${unicode ? '↑↓' : 'up/down'} j/k move  r restart  s stop  S start  q quit`
  return full.length <= columns ? full : 'q quit  j/k move  r restart  s stop  S start'
}
