/**
 * The listening sockets of an app with `listen:`, opened by the supervisor once and handed to
 * every instance (systemd's socket activation), so they outlive restarts and reloads: a client
 * that connects while no instance runs waits in the kernel's queue instead of being refused.
 *
 * The supervisor binds each socket but must never accept on it itself, and Node has no public
 * way to call listen(2) without its event loop accepting: the bound socket is handed to a short
 * Node helper that calls listen on it and exits before its event loop ever runs. The socket stays
 * listening while the supervisor holds its fd, and the supervisor never polls it.
 */
import {spawn} from 'node:child_process'
import {chmodSync, lstatSync, unlinkSync} from 'node:fs'
import net from 'node:net'

import type {ListenAddress} from '../model/process-spec.js'

import {describeListen} from '../model/listen.js'
import {holderOfPort} from '../os/sockets.js'

/** The length of the kernel's queue of connections no instance has accepted yet. */
const BACKLOG = 511
/** argv[1]: how many sockets, from fd 3 on. */
const LISTEN_HELPER = `let left = Number(process.argv[1])
for (let fd = 3; fd < 3 + Number(process.argv[1]); fd++) {
  const server = require('node:net').createServer()
  server.on('listening', () => { if (--left === 0) process.exit(0) })
  server.on('error', (error) => { process.stderr.write(error.message); process.exit(1) })
  server.listen({fd, backlog: ${BACKLOG}})
}`

/** A bound socket of libuv's: Node's own server handle, used here only for its fd. */
interface ServerHandle {
  fd: number
  close(): void
  setBlocking(blocking: boolean): number
  getsockname?(out: Record<string, unknown>): number
}

/** Node's internal binder (the cluster module's): binds, does not listen. Returns an errno on failure. */
const createServerHandle = (
  net as unknown as {
    _createServerHandle(address: null | string, port: number, addressType: number): number | ServerHandle
  }
)._createServerHandle

const ERRNO_MESSAGES: Record<number, string> = {
  [-98]: 'in use',
  [-13]: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  [-99]: 'not an address of this machine',
  [-97]: 'this address family is not available here',
}

class ListenError extends Error {}

export class ListenSockets {
  private constructor(
    private readonly handles: ServerHandle[],
    readonly names: string[],
    private readonly unixPaths: string[],
  ) {}

  get fds(): number[] {
    return this.handles.map((handle) => handle.fd)
  }

  /** Binds and listens on every address, or none (a ListenError names the address and why). */
  static async open(addresses: readonly ListenAddress[]): Promise<ListenSockets> {
    const handles: ServerHandle[] = []
    const unixPaths: string[] = []
    try {
      for (const address of addresses) {
        handles.push(address.kind === 'unix' ? bindUnix(address) : bindTcp(address))
        if (address.kind === 'unix') unixPaths.push(address.path)
      }

      await listenAll(handles)
      // systemd hands sockets over blocking, and an app that accepts in a plain loop (Python's
      // socket.accept) relies on it; libuv made them non-blocking. The supervisor never does I/O
      // on them, and an app that wants them non-blocking (Node, asyncio, Go) sets that itself.
      for (const handle of handles) handle.setBlocking(true)
    } catch (error) {
      for (const handle of handles) handle.close()
      for (const path of unixPaths) removeSocketFile(path)
      throw error
    }

    return new ListenSockets(
      handles,
      addresses.map((address) => address.name),
      unixPaths,
    )
  }

  close(): void {
    for (const handle of this.handles) handle.close()
    for (const path of this.unixPaths) removeSocketFile(path)
  }
}

function bindTcp(address: Extract<ListenAddress, {kind: 'tcp'}>): ServerHandle {
  // No host: every address, IPv6 and IPv4 together (Node falls back to 0.0.0.0 without IPv6).
  const family = address.host === undefined ? 6 : net.isIP(address.host)
  if (address.host !== undefined && family === 0)
    throw new ListenError(`cannot listen on ${describeListen(address)}: expected an IP address`)
  const handle = createServerHandle(address.host ?? null, address.port, family === 0 ? 4 : family)
  // libuv reports a port in use only later, at listen; getsockname tells it now.
  const errno = typeof handle === 'number' ? handle : (handle.getsockname?.({}) ?? 0)
  if (errno !== 0) {
    if (typeof handle !== 'number') handle.close()
    throw new ListenError(`cannot listen on ${describeListen(address)}: ${bindErrorReason(errno, address.port)}`)
  }

  return handle as ServerHandle
}

function bindUnix(address: Extract<ListenAddress, {kind: 'unix'}>): ServerHandle {
  clearStaleSocket(address.path)
  // The file is created with the umask's mode: none at first, then exactly the mode asked for.
  const umask = process.umask(0o777)
  let handle: number | ServerHandle
  try {
    handle = createServerHandle(address.path, -1, -1)
  } finally {
    process.umask(umask)
  }

  if (typeof handle === 'number') {
    const why =
      handle === -2
        ? 'its folder does not exist'
        : handle === -13
          ? 'permission denied on its folder'
          : bindErrorReason(handle)
    throw new ListenError(`cannot listen on ${address.path}: ${why}`)
  }

  try {
    chmodSync(address.path, address.mode)
  } catch (error) {
    handle.close()
    throw new ListenError(`cannot set the mode of ${address.path}: ${(error as Error).message}`)
  }

  return handle
}

/** A socket file left by an earlier run is removed; anything else at the path is not ours to touch. */
function clearStaleSocket(path: string): void {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }

  if (!stat.isSocket())
    throw new ListenError(
      `cannot listen on ${path}: something that is not a socket is there; remove it or choose another path`,
    )
  if (stat.uid !== (process.geteuid?.() ?? 0))
    throw new ListenError(
      `cannot listen on ${path}: the socket there belongs to uid ${stat.uid}; remove it or choose another path`,
    )
  unlinkSync(path)
}

function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path)
  } catch {
    // already gone
  }
}

/** Why a bind failed, from its errno: a port in use names the process holding it when /proc tells. */
export function bindErrorReason(errno: number, port?: number): string {
  const known = ERRNO_MESSAGES[errno] ?? `error ${errno}`
  if (errno !== -98 || port === undefined) return known
  const holder = holderOfPort(port)
  return holder ? `${known} by pid ${holder.pid} (${holder.command})` : known
}

/** One helper for all of an app's sockets: each fd is put into the listening state. */
async function listenAll(handles: ServerHandle[]): Promise<void> {
  if (handles.length === 0) return
  const helper = spawn(process.execPath, ['-e', LISTEN_HELPER, String(handles.length)], {
    // No NODE_OPTIONS of the user's: the helper must stay this small script.
    env: {},
    stdio: ['ignore', 'ignore', 'pipe', ...handles.map((handle) => handle.fd)],
  })
  let stderr = ''
  helper.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  const code = await new Promise<null | number>((resolve, reject) => {
    helper.once('error', reject)
    helper.once('exit', (exitCode) => resolve(exitCode))
  })
  if (code !== 0) throw new ListenError(`cannot listen: ${stderr || `the helper exited with code ${code}`}`)
}
