import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT} from './cli.js'

/**
 * This checkout at a path every user can enter, for tests that run tspm as another user (nobody
 * on the host, alice inside the systemd container). A clone may sit in a folder only root can
 * enter (`mktemp -d` makes 0700, /root is 0700), and a container's /tmp is its own tmpfs. The view
 * is an overlay of the checkout under /var/tmp whose top folder is opened (0755): nothing is
 * copied and nothing in the checkout changes. Needs root, as the tests that use it do.
 */
export function openRepoView(): {path: string; close: () => void} {
  const base = mkdtempSync('/var/tmp/tspm-view-')
  chmodSync(base, 0o755)
  const [upper, work, merged] = ['upper', 'work', 'repo'].map((name) => join(base, name))
  for (const dir of [upper, work, merged]) mkdirSync(dir)
  run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${REPO_ROOT},upperdir=${upper},workdir=${work}`, merged])
  chmodSync(merged, 0o755)
  let closed = false
  return {
    path: merged,
    close() {
      if (closed) return
      closed = true
      // Lazily if something still holds it; never recurse into the view itself.
      if (spawnSync('umount', [merged]).status !== 0) spawnSync('umount', ['-l', merged])
      for (const dir of [upper, work]) rmSync(dir, {recursive: true, force: true})
      rmdirSync(merged)
      rmdirSync(base)
    },
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`)
}
