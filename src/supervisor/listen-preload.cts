/**
 * Preloaded (node --require) into Node apps that have `listen:`: an app written for PM2's cluster
 * mode calls `server.listen(PORT)` and counts on PM2 to share the port; here a listen on a port
 * tspm holds serves the socket tspm passed for it (fd 3, 4, ...) instead, so the app runs as it is.
 * TSPM_LISTEN_PORTS says which port is which fd (`3000=3,3001=4`). Any other listen is untouched.
 */
import * as net from 'node:net'

const fds = new Map(
  (process.env.TSPM_LISTEN_PORTS ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=').map(Number) as [number, number]),
)

if (fds.size > 0) {
  const {listen} = net.Server.prototype
  const portOf = (first: unknown): number => {
    if (typeof first === 'number' || typeof first === 'string') return Number(first)
    const options = first as null | {fd?: unknown; path?: unknown; port?: unknown}
    if (options && typeof options === 'object' && options.fd === undefined && options.path === undefined)
      return Number(options.port)
    return Number.NaN
  }

  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const fd = fds.get(portOf(args[0]))
    if (fd === undefined) return listen.apply(this, args as Parameters<typeof listen>)
    const callback = args.find((arg) => typeof arg === 'function') as (() => void) | undefined
    return listen.call(this, {fd}, callback)
  } as typeof listen
}
