/**
 * The top-level `metrics:` key of a config file: a TCP listener the supervisor opens for Prometheus
 * to scrape (GET /metrics). Off unless a config asks for it, and on loopback unless the user writes
 * another address out:
 *
 *   metrics: {listen: 9615}              127.0.0.1:9615
 *   metrics: {listen: "[::1]:9615"}      one address, as written
 *   metrics: {listen: "0.0.0.0:9615"}    every IPv4 address: only when written so
 *   metrics: false                       closes the listener an earlier start opened
 *
 * The supervisor always answers GET /v1/metrics on its control socket, listener or not.
 */
import {isIP} from 'node:net'

import type {MetricsSettings} from '../model/api.js'

import {tcpAddress} from './listen.js'
import {closestKey} from './suggestions.js'
import {describeValue, isMap} from './units.js'

type Report = (message: string, path?: (number | string)[]) => void

const METRICS_KEYS = ['listen']
export const METRICS_EXPECTED = 'a map {listen: PORT or "host:port"}, or false'
const LISTEN_EXPECTED =
  'a port, or "host:port" with an IP address ("[::1]:port" for IPv6; a port alone means 127.0.0.1)'

/** `metrics:` as written: the settings, null for `false`, undefined (reported) when it is wrong. */
export function metricsSettings(value: unknown, report: Report): MetricsSettings | null | undefined {
  if (value === false) return null
  if (!isMap(value)) return undefined
  let failed = false
  for (const key of Object.keys(value)) {
    if (METRICS_KEYS.includes(key)) continue
    const near = closestKey(key, METRICS_KEYS)
    report(near ? `unknown key; did you mean "${near}"?` : `unknown key; expected ${METRICS_KEYS.join(', ')}`, [key])
    failed = true
  }

  if (value.listen === undefined || value.listen === null) {
    report(`missing "listen"; expected ${LISTEN_EXPECTED}`)
    return undefined
  }

  const address = tcpAddress(value.listen)
  if (!address) {
    report(`expected ${LISTEN_EXPECTED}, got ${describeValue(value.listen)}`, ['listen'])
    return undefined
  }

  // The supervisor binds what it is given, resolving no name: "localhost" could be either family.
  if (address.host !== undefined && isIP(address.host) === 0) {
    report(
      `expected an IP address as the host (127.0.0.1, "[::1]", or "0.0.0.0" for every IPv4 address), got ${describeValue(address.host)}`,
      ['listen'],
    )
    return undefined
  }

  return failed ? undefined : {listen: {host: address.host ?? '127.0.0.1', port: address.port}}
}
