/**
 * The `listen:` key of a process, as users write it: the sockets tspm binds itself and hands to
 * every instance.
 *
 *   listen: 3000                       every address, IPv6 and IPv4
 *   listen: "127.0.0.1:3000"           one address ("[::1]:3000" for IPv6)
 *   listen: ./app.sock                 a Unix socket (a path: it holds a "/"), mode 0660
 *   listen: [3000, {address: /run/web.sock, mode: "0600", name: api}]
 *
 * `name` is what the app sees in LISTEN_FDNAMES (the process name unless given). Relative Unix
 * paths are resolved later, against the config file's folder, as env_file is.
 */
import type {ListenAddress} from '../model/process-spec.js'

import {describeListen} from '../model/listen.js'
import {closestKey} from './suggestions.js'
import {describeValue, isMap} from './units.js'

type Report = (message: string, path?: (number | string)[]) => void

/** A listen entry before its name is known (the process name is the default). */
export type ListenEntry = ListenAddress extends infer Entry
  ? Entry extends unknown
    ? Omit<Entry, 'name'> & {name?: string}
    : never
  : never

const DEFAULT_UNIX_SOCKET_MODE = 0o660
/** What systemd accepts in FileDescriptorName=: no ":", which separates the names in LISTEN_FDNAMES. */
const FD_NAME_PATTERN = /^[A-Za-z0-9._-]{1,255}$/
const ENTRY_KEYS = ['address', 'mode', 'name']
const EXPECTED = 'a port, "host:port", a socket path, or {address, mode, name}'

function address(value: unknown, report: Report, path: (number | string)[]): ListenEntry | undefined {
  if (typeof value === 'string' && value.includes('/')) {
    return {kind: 'unix', path: value, mode: DEFAULT_UNIX_SOCKET_MODE}
  }

  const found = tcpAddress(value)
  if (!found) {
    report(`expected ${EXPECTED}, got ${describeValue(value)}`, path)
    return undefined
  }

  return {kind: 'tcp', ...found}
}

/** A port (1 to 65535), or "host:port" with an IPv6 host in brackets; undefined when it is neither. */
export function tcpAddress(value: unknown): undefined | {host?: string; port: number} {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined
  const match = text === undefined ? null : /^(?:(\[[^\]]+\]|[^:\s[\]]+):)?(\d{1,5})$/.exec(text)
  const port = match ? Number(match[2]) : Number.NaN
  if (!match || port < 1 || port > 65_535) return undefined
  const host = match[1]?.replace(/^\[|\]$/g, '')
  return host === undefined ? {port} : {host, port}
}

/** "0660", "660" or a number: the permission bits of a Unix socket file. */
function socketMode(value: unknown, report: Report, path: (number | string)[]): number | undefined {
  if (typeof value === 'string' && /^0?[0-7]{3}$/.test(value)) return Number.parseInt(value, 8)
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o777) return value
  report(`expected permission bits in octal, in quotes, such as "0660", got ${describeValue(value)}`, path)
  return undefined
}

function entry(value: unknown, report: Report, path: (number | string)[]): ListenEntry | undefined {
  if (!isMap(value)) return address(value, report, path)
  const map = value
  let failed = false
  for (const key of Object.keys(map)) {
    if (ENTRY_KEYS.includes(key)) continue
    const near = closestKey(key, ENTRY_KEYS)
    report(near ? `unknown key; did you mean "${near}"?` : `unknown key; expected ${ENTRY_KEYS.join(', ')}`, [
      ...path,
      key,
    ])
    failed = true
  }

  if (map.address === undefined) {
    report(`missing "address"; expected ${EXPECTED}`, path)
    return undefined
  }

  const found = address(map.address, report, [...path, 'address'])
  if (!found) return undefined
  if (map.mode !== undefined) {
    if (found.kind !== 'unix') {
      report('mode is for a Unix socket path; a TCP port has no file mode', [...path, 'mode'])
      return undefined
    }

    const mode = socketMode(map.mode, report, [...path, 'mode'])
    if (mode === undefined) return undefined
    found.mode = mode
  }

  if (map.name !== undefined) {
    if (typeof map.name !== 'string' || !FD_NAME_PATTERN.test(map.name)) {
      report(
        `expected a name of letters, digits, ".", "_" or "-" (it goes into LISTEN_FDNAMES), got ${describeValue(map.name)}`,
        [...path, 'name'],
      )
      return undefined
    }

    found.name = map.name
  }

  return failed ? undefined : found
}

/** One address or a list of them; undefined (reported) when any is wrong or one is given twice. */
export function listenAddresses(value: unknown, report: Report): ListenEntry[] | undefined {
  const items = Array.isArray(value) ? value : [value]
  if (items.length === 0) return []
  const entries: ListenEntry[] = []
  let failed = false
  for (const [i, item] of items.entries()) {
    const path = Array.isArray(value) ? [i] : []
    const found = entry(item, report, path)
    if (!found) failed = true
    else if (entries.some((earlier) => listenKey(earlier) === listenKey(found))) {
      report(`${describeListen(found)} is listed twice`, path)
      failed = true
    } else entries.push(found)
  }

  return failed ? undefined : entries
}

function listenKey(entry: ListenEntry): string {
  return entry.kind === 'unix' ? entry.path : `${entry.host ?? '*'}:${entry.port}`
}
