// The floors' apps: spawned by the bench itself with no manager (detached, each its own process
// group, no stdio), and killed again, group and all.
import {spawn} from 'node:child_process'

import {signal} from './proc.mjs'

/** Spawns one app: `node script ...args`, with env (which carries BENCH_APP, so cleanup finds it). */
export function spawnBare(script, args, env) {
  const child = spawn(process.execPath, [script, ...args], {
    env: {...env, BENCH_APP: '1'},
    detached: true,
    stdio: 'ignore',
  })
  child.once('error', () => {})
  return child
}

/** Kills each child's group (whatever the app started goes too) and waits until each has exited. */
export async function killBare(children) {
  await Promise.all(
    children.map((child) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => {
        child.once('exit', resolve)
      })
      if (!signal(-child.pid, 'SIGKILL')) signal(child.pid, 'SIGKILL')
      return gone
    }),
  )
}
