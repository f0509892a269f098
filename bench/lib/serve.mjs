// "Until every port answers": free ports for N HTTP apps, the client that waits for all of them
// at once with real HTTP GETs, and the floor (the same apps spawned by the bench itself, no manager).
import {fork} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {readFileSync} from 'node:fs'
import net from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {killBare, spawnBare} from './bare.mjs'
import {busyElsewhere, signal} from './proc.mjs'

const HOST = '127.0.0.1'
/** An attempt that connected but got no answer in this long is dropped and tried again. */
const ATTEMPT_TIMEOUT_MS = 5000
const DEADLINE_MS = 120_000

/**
 * How the client learns when to try each port. Either way a port counts only once a GET to it
 * has answered 200, and the client runs in a process of its own (so the bench's own work, such as
 * spawning the floor's apps, never delays it) at normal priority.
 * - 'notify' (default): each app sends one UDP datagram once it listens (apps/http.mjs); the
 *   client tries its GET then, again every POLL_EVERY_MS until it answers, and every port once a
 *   second anyway. It costs the apps' machine next to nothing.
 * - 'poll': a connect + GET to every pending port every POLL_EVERY_MS, as a plain script would.
 *   A refused connect costs Node about 0.25 ms of CPU, so fifty ports every 10 ms want more than
 *   a core: the client takes its fair share from the apps. That share is large when few apps
 *   start at a time (tspm's throttle: 1.0-1.4 s of client CPU in a 3 s run on 2 cores) and small
 *   when fifty start at once and crowd the client out (the floor: 0.15-0.25 s), which skews the
 *   comparison against a manager that starts apps in turns.
 */
export const CLIENT = process.env.BENCH_SERVE_CLIENT === 'poll' ? 'poll' : 'notify'
/** Each port's next GET comes this long after a failed one (in 'notify' mode: after its datagram). */
export const POLL_EVERY_MS = 10
/** In 'notify' mode, a port whose datagram never came is tried this often anyway. */
const SAFETY_EVERY_MS = 1000

/**
 * N ports that are free now, below the kernel's ephemeral range: the client's own connections
 * take their source ports from that range, and one of them could otherwise sit on a port an app
 * is about to listen on.
 */
export async function freePorts(count) {
  let low = 32_768
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low
  } catch {}

  const ports = []
  // A random start, so two runs side by side are unlikely to race for the same ports.
  let port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000 - 4 * count))
  while (ports.length < count && port < low) {
    if (await canListen(port)) ports.push(port)
    port++
  }

  if (ports.length < count) throw new Error(`found only ${ports.length} free ports below ${low}`)
  return ports
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => server.close(() => resolve(true)))
  })
}

/** One HTTP GET over a fresh connection: resolves true on a 200 answer, false on anything else. */
function tryGet(port) {
  return new Promise((resolve) => {
    const socket = net.connect({port, host: HOST})
    let answer = ''
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }

    socket.setTimeout(ATTEMPT_TIMEOUT_MS, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`))
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) done(answer.startsWith('HTTP/1.1 200'))
    })
    socket.once('end', () => done(answer.startsWith('HTTP/1.1 200')))
  })
}

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const pause = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/**
 * Polls every port concurrently (one attempt in flight per port, the next POLL_EVERY_MS after a
 * failure) until each has answered a GET. t0 is a process.hrtime.bigint() value (the monotonic
 * clock, the same in every process). Resolves with the time the last port answered (ms since
 * t0), each port's time, the GETs tried and the client's own CPU. With `hints` (port → a
 * function that registers a wake-up), a port is tried when its hint comes, else once a second.
 */
export async function pollPorts(ports, {t0, deadlineMs = DEADLINE_MS, going = () => true, hints}) {
  const cpu0 = process.cpuUsage()
  let attempts = 0
  const perPort = await Promise.all(
    ports.map(async (port) => {
      let hinted = !hints
      const unhook = hints?.(port, t0, () => {
        hinted = true
      })
      try {
        while (msSince(t0) < deadlineMs && going()) {
          if (!hinted) await hints.wait(port, SAFETY_EVERY_MS)
          attempts++
          if (await tryGet(port)) return msSince(t0)
          if (hinted) await pause(POLL_EVERY_MS)
        }

        return Infinity
      } finally {
        unhook?.()
      }
    }),
  )
  const cpu = process.cpuUsage(cpu0)
  const missing = ports.filter((_, i) => perPort[i] === Infinity)
  if (missing.length > 0 && going()) {
    throw new Error(
      `${missing.length} of ${ports.length} ports did not answer within ${deadlineMs / 1000} s (${missing.slice(0, 5).join(', ')} ...)`,
    )
  }

  return {ms: Math.max(...perPort), perPort, attempts, clientCpuMs: (cpu.user + cpu.system) / 1000}
}

/**
 * The hints of 'notify' mode: a UDP socket on 127.0.0.1 to which each app sends its port once it
 * listens. hints(port, t0, onHint) registers a port (returns its unhook); a datagram that came
 * after t0 but before the port was registered counts too (the wait may be set up a moment after
 * the apps were launched). hints.wait(port, ms) waits for the port's datagram or ms, whichever
 * comes first.
 */
export async function udpHints() {
  const socket = createSocket('udp4')
  await new Promise((resolve) => {
    socket.bind(0, HOST, resolve)
  })
  const hooks = new Map()
  const lastSeen = new Map()
  socket.on('message', (msg) => {
    const port = Number(msg.toString('latin1'))
    lastSeen.set(port, process.hrtime.bigint())
    hooks.get(port)?.fire()
  })
  const hints = (port, t0, onHint) => {
    const hook = {
      wakers: new Set(),
      fire() {
        onHint()
        for (const wake of hook.wakers) wake()
      },
    }
    hooks.set(port, hook)
    if (lastSeen.get(port) >= t0) onHint()
    return () => hooks.delete(port)
  }

  hints.wait = (port, ms) =>
    new Promise((resolve) => {
      const hook = hooks.get(port)
      const done = () => {
        clearTimeout(timer)
        hook?.wakers.delete(done)
        resolve()
      }

      const timer = setTimeout(done, ms)
      hook?.wakers.add(done)
    })
  hints.port = socket.address().port
  return hints
}

/**
 * The client (see CLIENT), started before anything is timed. appArgs(port) are the arguments of
 * apps/http.mjs for that port; serve(ports, {t0, signal}) resolves as pollPorts does; an aborted
 * signal ends the wait with its reason.
 */
export async function openClient(env) {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'poller.mjs'), [CLIENT], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const {notifyPort} = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`the client exited ${code} at its start`)))
  })
  let next = 0
  return {
    pid: child.pid,
    appArgs: (port) => (notifyPort ? [String(port), String(notifyPort)] : [String(port)]),
    serve: (ports, {t0, signal: abort}) =>
      new Promise((resolve, reject) => {
        const id = next++
        const finish = () => {
          child.off('message', onMessage)
          child.off('exit', onExit)
          abort?.removeEventListener('abort', onAbort)
        }

        const onMessage = (m) => {
          if (m.id !== id) return
          finish()
          if (m.error) reject(new Error(m.error))
          else resolve(m)
        }

        const onExit = (code, sig) => {
          finish()
          reject(new Error(`the client exited ${code ?? sig}`))
        }

        const onAbort = () => {
          finish()
          child.send({abort: id})
          reject(abort.reason)
        }

        child.on('message', onMessage)
        child.once('exit', onExit)
        abort?.addEventListener('abort', onAbort, {once: true})
        child.send({id, ports, t0: String(t0)})
      }),
    close() {
      if (child.connected) child.disconnect()
      if (child.exitCode === null) signal(child.pid, 'SIGKILL')
    },
  }
}

/**
 * The floor: the same apps spawned together by the bench (detached, each its own group, no
 * manager), timed the same way until every port answers, then killed. env carries the run's
 * marker (BENCH_RUN); the result also says how much CPU the rest of the machine used meanwhile.
 */
export async function floorServe(script, ports, env, client) {
  const children = []
  const elsewhere = busyElsewhere(`BENCH_RUN=${env.BENCH_RUN}`)
  const t0 = process.hrtime.bigint()
  // The wait starts before the spawns: spawning fifty takes the bench a second or more.
  const served = client.serve(ports, {t0})
  served.catch(() => {})
  try {
    for (const port of ports) children.push(spawnBare(script, client.appArgs(port), env))

    return {...(await served), elsewhereCpu: elsewhere.stop()}
  } finally {
    await killBare(children)
  }
}
