// The load of the reload scenario: a fixed number of request loops against one port, each doing
// GET after GET, every one on a new connection, while the bench reloads the app behind the port.
// The loops run in a process of their own (lib/loader.mjs), so the bench's own work (running the
// tool's CLI) never delays them; what they saw is counted afterwards, per window.
import {fork} from 'node:child_process'
import http from 'node:http'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {signal} from './proc.mjs'

const HOST = '127.0.0.1'
/** A request with no answer in this long is a failure (ETIMEDOUT). */
export const REQUEST_TIMEOUT_MS = 5000
/** A loop waits this long after a failure, so a refused port does not turn into a spin of failures. */
export const PAUSE_AFTER_FAILURE_MS = 10
/** The timeline's resolution (latest.json). */
const BUCKET_MS = 100

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const pause = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/**
 * One GET over a new connection (agent: false: no keep-alive, `Connection: close`). Resolves
 * {pid} when the app answered 200 with its pid, else {code}: the error's code (ECONNREFUSED,
 * ECONNRESET, ETIMEDOUT, ...), `HTTP <status>`, or `bad body`.
 */
function getOnce(port) {
  return new Promise((resolve) => {
    const req = http.get({host: HOST, port, path: '/', agent: false, timeout: REQUEST_TIMEOUT_MS}, (res) => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.once('end', () => {
        const pid = Number(body.trim())
        if (res.statusCode === 200) resolve(Number.isInteger(pid) && pid > 0 ? {pid} : {code: 'bad body'})
        else resolve({code: `HTTP ${res.statusCode}`})
      })
      res.once('error', (error) => resolve({code: error.code ?? error.message}))
      res.once('close', () => {
        if (!res.complete) resolve({code: 'response cut'})
      })
    })
    req.once('timeout', () => req.destroy(Object.assign(new Error('no answer'), {code: 'ETIMEDOUT'})))
    req.once('error', (error) => resolve({code: error.code ?? error.message}))
  })
}

/**
 * Starts `concurrency` loops of GETs against port. t0 is a process.hrtime.bigint() value (the
 * monotonic clock, the same in every process): every completion is recorded in ms since t0.
 * stop() lets each loop finish the request it has in flight, then returns what they saw.
 */
export function startLoad(port, {t0, concurrency}) {
  const okAt = []
  const okPid = []
  const failures = []
  const state = {going: true}
  const cpu0 = process.cpuUsage()
  const loop = async () => {
    while (state.going) {
      const r = await getOnce(port)
      const at = msSince(t0)
      if (r.pid === undefined) {
        failures.push({at, code: r.code})
        await pause(PAUSE_AFTER_FAILURE_MS)
      } else {
        okAt.push(at)
        okPid.push(r.pid)
      }
    }
  }

  const loops = Array.from({length: concurrency}, loop)
  return {
    async stop() {
      state.going = false
      await Promise.all(loops)
      const cpu = process.cpuUsage(cpu0)
      return {okAt, okPid, failures, endMs: msSince(t0), clientCpuMs: (cpu.user + cpu.system) / 1000}
    },
  }
}

/**
 * The figures of one window [from, to) (ms since t0) of a load's record: answers, requests/s,
 * failures with their codes, the longest stretch without an answer (from the window's start to
 * its first answer, between answers, from the last one to its end), and the pids that answered.
 */
export function windowStats({okAt, okPid, failures}, from, to) {
  let ok = 0
  let last = from
  let longestGapMs = 0
  const pids = new Set()
  // okAt is in completion order (one event loop pushes them), so it is sorted.
  for (const [i, at] of okAt.entries()) {
    if (at < from) continue
    if (at >= to) break
    ok++
    longestGapMs = Math.max(longestGapMs, at - last)
    last = at
    pids.add(okPid[i])
  }

  longestGapMs = Math.max(longestGapMs, to - last)
  const failed = failures.filter((f) => f.at >= from && f.at < to)
  const codes = {}
  for (const f of failed) codes[f.code] = (codes[f.code] ?? 0) + 1
  const ms = to - from
  return {ms, ok, rps: ok / (ms / 1000), failed: failed.length, codes, longestGapMs, pids: [...pids]}
}

/** Answers and failures per BUCKET_MS from t0 to the end of the load: the run's timeline. */
export function timeline({okAt, failures, endMs}) {
  const n = Math.ceil(endMs / BUCKET_MS)
  const ok = Array.from({length: n}, () => 0)
  const failed = Array.from({length: n}, () => 0)
  for (const at of okAt) ok[Math.min(n - 1, Math.floor(at / BUCKET_MS))]++
  for (const f of failures) failed[Math.min(n - 1, Math.floor(f.at / BUCKET_MS))]++
  return {bucketMs: BUCKET_MS, ok, failed}
}

/**
 * The load client (lib/loader.mjs), started before anything is timed. run(port, {t0,
 * concurrency}) starts the loops and resolves once they run; stop(windows) ends them and resolves
 * with each window's figures ({name: [from, to]} as hrtime bigints; `to` undefined: until the
 * end), the timeline and the client's own CPU.
 */
export async function openLoad(env) {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'loader.mjs'), [], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        child.off('exit', onExit)
        if (m.error) reject(new Error(`the load client: ${m.error}`))
        else resolve(m)
      }

      const onExit = (code, sig) => {
        child.off('message', onMessage)
        reject(new Error(`the load client exited ${code ?? sig}`))
      }

      child.once('message', onMessage)
      child.once('exit', onExit)
      if (message !== undefined) child.send(message)
    })
  await ask()
  let t0
  return {
    pid: child.pid,
    async run(port, {t0: start, concurrency}) {
      t0 = start
      await ask({start: {port, t0: String(start), concurrency}})
    },
    async stop(windows) {
      const rel = (mark) => (mark === undefined ? undefined : Number(mark - t0) / 1e6)
      const spans = Object.fromEntries(
        Object.entries(windows).map(([name, [from, to]]) => [name, [rel(from), rel(to)]]),
      )
      return ask({stop: {windows: spans}})
    },
    close() {
      if (child.connected) child.disconnect()
      if (child.exitCode === null) signal(child.pid, 'SIGKILL')
    },
  }
}
