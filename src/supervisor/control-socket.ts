import type {Server} from 'node:net'

import {type FSWatcher, lstatSync, rmSync, watch} from 'node:fs'
import {basename, dirname} from 'node:path'

/**
 * The control socket, $TSPM_HOME/tspm.sock: created 0600, so no other user can drive the
 * supervisor, and bound again when its file disappears (a clean-up script, a careless `rm`), so
 * a live supervisor never becomes unreachable. The folder is watched (inotify): no polling.
 */
export class ControlSocket {
  private server: Server | undefined
  private watcher: FSWatcher | undefined
  private inode = 0
  private rebinding: Promise<void> | undefined
  private closed = false

  constructor(
    private readonly path: string,
    private readonly createServer: () => Server,
    private readonly log: (message: string) => void,
  ) {}

  /** Binds the socket (removing a dead supervisor's file first: the caller holds the lock). */
  async open(): Promise<void> {
    rmSync(this.path, {force: true})
    this.server = await listenPrivately(this.createServer(), this.path)
    this.inode = lstatSync(this.path).ino
    this.watcher = watch(dirname(this.path), (_event, file) => {
      if (file === null || file === basename(this.path)) this.checkStillBound()
    })
    this.watcher.on('error', () => {})
  }

  close(): void {
    this.closed = true
    this.watcher?.close()
    this.server?.close()
    rmSync(this.path, {force: true})
  }

  private checkStillBound(): void {
    if (this.closed || this.rebinding) return
    let inode = 0
    try {
      const stat = lstatSync(this.path)
      if (stat.isSocket()) inode = stat.ino
    } catch {
      // gone
    }

    if (inode === this.inode) return
    this.rebinding = this.rebind().finally(() => {
      this.rebinding = undefined
    })
  }

  private async rebind(): Promise<void> {
    this.log(`${this.path} was removed or replaced; binding it again`)
    try {
      // First: closing a listening server unlinks its path, which is the new socket's too.
      await new Promise<void>((resolve) => {
        if (this.server) this.server.close(() => resolve())
        else resolve()
      })
      rmSync(this.path, {force: true})
      this.server = await listenPrivately(this.createServer(), this.path)
      this.inode = lstatSync(this.path).ino
    } catch (error) {
      this.log(`cannot bind ${this.path} again: ${(error as Error).message}`)
    }
  }
}

/** Listens with umask 0177 around the bind, so the socket file is created 0600. */
async function listenPrivately(server: Server, socket: string): Promise<Server> {
  const previous = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(socket, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } finally {
    process.umask(previous)
  }

  return server
}
