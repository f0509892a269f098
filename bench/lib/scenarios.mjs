// The scenarios of issue 6. Each takes the run context and returns raw per-rep figures per tool;
// run.mjs turns them into medians and the table. Tools alternate within every scenario (ABBA:
// tspm first on even reps, PM2 first on odd ones) so that drift of the machine hits both alike.
import {spawn} from 'node:child_process'
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {killBare, spawnBare} from './bare.mjs'
import {check, run} from './exec.mjs'
import {openLoad} from './load.mjs'
import {alive, busyElsewhere, cpuSeconds, rssBytes} from './proc.mjs'
import {floorServe, freePorts, openClient} from './serve.mjs'
import {median, MiB, sleep} from './stats.mjs'
import {parseList, TSPM_READY, waitGone} from './tools.mjs'

const FLOOR_PRIMARY = join(dirname(fileURLToPath(import.meta.url)), 'reload-floor.mjs')

/** The tools in the order of this rep. */
export function order(ctx, rep) {
  const {tspm, pm2} = ctx.tools
  return rep % 2 === 0 ? [tspm, pm2] : [pm2, tspm]
}

function idleApps(ctx, count, prefix = 'app') {
  return Array.from({length: count}, (_, i) => ({name: `${prefix}-${i}`, script: ctx.apps.idle, env: {BENCH_APP: '1'}}))
}

/**
 * The floor of "until all online" for apps without a ready check (online: it runs): the bench
 * itself spawns the N idle apps one after another, no manager, detached as the tools spawn them,
 * and the time is taken when the last spawn has returned (every app has exec'd). No manager can
 * have them all running sooner; the apps already spawned boot meanwhile and take the CPU.
 */
async function floorSpawn(ctx, count) {
  const children = []
  const t0 = performance.now()
  for (let i = 0; i < count; i++) children.push(spawnBare(ctx.apps.idle, [], ctx.baseEnv))
  const ms = performance.now() - t0
  await killBare(children)
  return ms
}

/** Median of a few RSS samples (bytes), so one GC moment does not decide. */
async function steadyRss(pid, samples = 5, everyMs = 200) {
  const xs = []
  for (let i = 0; i < samples; i++) {
    xs.push(rssBytes(pid))
    if (i < samples - 1) await sleep(everyMs)
  }

  return median(xs)
}

/** Samples a pid's RSS every 50 ms until stopped; keeps the peak. */
function rssSampler(pid, everyMs = 50) {
  let peak = rssBytes(pid) ?? 0
  let samples = 1
  const timer = setInterval(() => {
    const rss = rssBytes(pid)
    if (rss !== undefined) {
      samples++
      if (rss > peak) peak = rss
    }
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const rss = rssBytes(pid)
      if (rss !== undefined && rss > peak) peak = rss
      return {peak, samples}
    },
  }
}

// ---------------------------------------------------------------------------------------------

/** CLI latency: list with 10 idle apps, --version, and the `node -e 0` floor, round-robin. */
export async function latency(ctx) {
  const {cfg} = ctx
  const homes = {}
  for (const tool of order(ctx, 0)) {
    const home = tool.newHome('latency')
    check(await tool.start(home, idleApps(ctx, cfg.latencyApps)), `${tool.label} start`)
    await tool.waitOnline(home, cfg.latencyApps, {t0: performance.now()})
    homes[tool.key] = home
  }

  await sleep(2000)
  const {tspm, pm2} = ctx.tools
  const commands = [
    {key: 'floor', go: () => run(process.execPath, ['-e', '0'], {env: ctx.baseEnv})},
    {key: 'tspm.list', go: () => tspm.cli(homes.tspm, tspm.listArgs)},
    {key: 'pm2.list', go: () => pm2.cli(homes.pm2, pm2.listArgs)},
    {key: 'tspm.version', go: () => tspm.cli(homes.tspm, ['--version'])},
    {key: 'pm2.version', go: () => pm2.cli(homes.pm2, ['--version'])},
  ]
  const times = Object.fromEntries(commands.map((c) => [c.key, []]))
  const warmup = 2
  for (let i = 0; i < warmup + cfg.latencyRuns; i++) {
    // Rotate the order every round so no command always runs right after the same one.
    for (let j = 0; j < commands.length; j++) {
      const command = commands[(i + j) % commands.length]
      const result = check(await command.go(), command.key)
      if (command.key.endsWith('.list')) {
        const procs = parseList(result.stdout)
        if (procs.length !== cfg.latencyApps)
          throw new Error(`${command.key} listed ${procs.length} apps, expected ${cfg.latencyApps}`)
      }

      if (i >= warmup) times[command.key].push(result.ms)
    }
  }

  for (const tool of order(ctx, 0)) await tool.shutdown(homes[tool.key])
  return times
}

/** Idle supervisor RSS; cold start of N idle apps until all online; RSS with them; idle CPU. */
export async function startAndIdle(ctx, rep) {
  const {cfg} = ctx
  const out = {}
  for (const tool of order(ctx, rep)) {
    const home = tool.newHome(`idle-${rep}`)
    const pid = await tool.idleDaemon(home)
    await sleep(3000)
    out[tool.key] = {idleRss: await steadyRss(pid)}
    await tool.shutdown(home)
  }

  // The floor goes first in even reps and last in odd ones, so drift hits it as it hits the tools.
  if (rep % 2 === 0) out.floor = {startMs: await floorSpawn(ctx, cfg.startApps)}
  for (const tool of order(ctx, rep)) {
    const r = out[tool.key]
    const home = tool.newHome(`start-${rep}`)
    const t0 = performance.now()
    const started = check(await tool.start(home, idleApps(ctx, cfg.startApps)), `${tool.label} start ${cfg.startApps}`)
    const online = await tool.waitOnline(home, cfg.startApps, {t0})
    r.startMs = online.ms
    r.startCliMs = started.ms
    const pid = await tool.waitDaemonPid(home)
    await sleep(3000)
    r.liveApps = tool.apps(home).length
    r.rss50 = await steadyRss(pid)
    const cpu0 = cpuSeconds(pid)
    await sleep(cfg.idleCpuSec * 1000)
    r.idleCpu = cpuSeconds(pid) - cpu0
    if (tool.key === 'tspm') Object.assign(r, await bootService(tool, home))
    await tool.shutdown(home)
  }

  if (rep % 2 === 1) out.floor = {startMs: await floorSpawn(ctx, cfg.startApps)}
  return out
}

/**
 * The supervisor as the boot service runs it (the unit's ExecStart: the runtime with the
 * supervisor's flags, `tspm resurrect`, in the foreground), with the same saved apps: its RSS and
 * idle CPU, to set beside the background daemon's.
 */
async function bootService(tool, home) {
  const {cfg} = tool.ctx
  check(await tool.cli(home, ['save']), 'tspm save')
  check(await tool.cli(home, ['kill'], 120_000), 'tspm kill')
  const left = await waitGone(() => tool.processes(home), 30_000)
  if (left.length > 0) throw new Error(`tspm: ${left.length} processes still ran 30 s after kill`)
  const child = await tool.resurrect(home, {asBootService: true})
  await tool.waitOnline(home, cfg.startApps, {t0: performance.now(), deadlineMs: 300_000})
  // Measured once the boot has settled, as a server is long after it booted: V8 hands back the
  // pages of the start-up (the restore's client, 50 spawns) within about 8 s of the last app online.
  await sleep(10_000)
  const bootRss50 = await steadyRss(child.pid)
  const cpu0 = cpuSeconds(child.pid)
  await sleep(cfg.idleCpuSec * 1000)
  return {bootRss50, bootIdleCpu: cpuSeconds(child.pid) - cpu0}
}

/** Crash-to-restart gap of a shell app that stamps its start and exit, restart at once. */
export async function crashGap(ctx, block) {
  const {cfg} = ctx
  const want = Math.ceil(cfg.gapCycles / cfg.gapBlocks)
  const out = {}
  for (const tool of order(ctx, block)) {
    const home = tool.newHome(`gap-${block}`)
    const stamps = join(home.work, 'stamps.txt')
    const app = {
      name: 'crashy',
      script: ctx.apps.crashStamp,
      args: [stamps],
      interpreter: 'none',
      noDelay: true,
      maxRestarts: 1000,
      env: {BENCH_APP: '1'},
    }
    check(await tool.start(home, [app]), `${tool.label} start crashy`)
    const deadline = Date.now() + 30_000 + want * 2000
    let gaps = []
    while (Date.now() < deadline) {
      gaps = parseGaps(stamps)
      if (gaps.length >= want) break
      await sleep(100)
    }

    const final = await tool.list(home)
    await tool.shutdown(home)
    if (gaps.length < want) {
      throw new Error(
        `${tool.label}: only ${gaps.length} of ${want} restarts seen; last list: ${JSON.stringify(final.procs)}`,
      )
    }

    out[tool.key] = {gaps: gaps.slice(0, want)}
  }

  return out
}

function parseGaps(file) {
  if (!existsSync(file)) return []
  const gaps = []
  let lastExit
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, ms] = line.split(' ')
    if (kind === 'exit') lastExit = Number(ms)
    else if (kind === 'start' && lastExit !== undefined) {
      gaps.push(Number(ms) - lastExit)
      lastExit = undefined
    }
  }

  return gaps
}

/** Start N, save (timed), kill everything, resurrect (timed until all N online), count. */
export async function saveResurrect(ctx, rep) {
  const {cfg} = ctx
  const n = cfg.resurrectApps
  const out = {}
  if (rep % 2 === 0) out.floor = {resurrectMs: await floorSpawn(ctx, n)}
  for (const tool of order(ctx, rep)) {
    const home = tool.newHome(`resurrect-${rep}`)
    check(await tool.start(home, idleApps(ctx, n)), `${tool.label} start ${n}`)
    await tool.waitOnline(home, n, {t0: performance.now(), deadlineMs: 300_000})
    await sleep(2000)
    const saved = check(await tool.cli(home, ['save']), `${tool.label} save`)
    // The reboot: the tool's own kill stops every app and the daemon; nothing of it may be left.
    check(await tool.cli(home, ['kill'], 120_000), `${tool.label} kill`)
    const left = await waitGone(() => tool.processes(home), 30_000)
    if (left.length > 0) throw new Error(`${tool.label}: ${left.length} processes still ran 30 s after kill`)
    await sleep(500)
    const t0 = performance.now()
    await tool.resurrect(home)
    const online = await tool.waitOnline(home, n, {t0, deadlineMs: 300_000})
    await sleep(2000)
    const after = await tool.list(home)
    const names = new Set(after.procs.map((p) => p.name))
    out[tool.key] = {
      saveMs: saved.ms,
      resurrectMs: online.ms,
      count: after.procs.length,
      uniqueNames: names.size,
      onlineAfter: after.procs.filter((p) => p.status === 'online').length,
      liveApps: tool.apps(home).length,
    }
    await tool.shutdown(home)
  }

  if (rep % 2 === 1) out.floor = {resurrectMs: await floorSpawn(ctx, n)}
  return out
}

/** PM2's `time: true` stamp, `YYYY-MM-DDTHH:mm:ss: `, which tspm writes in front of every line. */
const TIME_STAMP_BYTES = 21

/**
 * One app writing N bytes of 100-byte lines: plain redirect to a file, then under each tool, and
 * under tspm with `time: true` (`tspmTime`: a stamp in front of every line). PM2 stamps every piece
 * of each chunk it reads (a line cut between two reads becomes two stamped lines), so its stamped
 * output has no exact size to wait for: it is left out of the stamped run.
 */
export async function logThroughput(ctx, rep) {
  const {cfg} = ctx
  const total = cfg.logBytes
  const out = {}
  const {tspm, pm2} = ctx.tools
  const contestants = [{key: 'redirect'}, tspm, pm2, {key: 'tspmTime'}]
  for (let i = 0; i < contestants.length; i++) {
    const who = contestants[(rep + i) % contestants.length]
    out[who.key] =
      who.key === 'redirect'
        ? await logRedirect(ctx, rep, total)
        : who.key === 'tspmTime'
          ? await logUnder(ctx, tspm, `${rep}-time`, total, {time: true})
          : await logUnder(ctx, who, rep, total)
  }

  return out
}

async function logRedirect(ctx, rep, total) {
  const file = join(ctx.tmpRoot, `redirect-${rep}.log`)
  const stamp = join(ctx.tmpRoot, `redirect-${rep}.stamp`)
  const fd = openSync(file, 'w')
  const t0 = performance.now()
  const child = spawn(process.execPath, [ctx.apps.logger, stamp, String(total)], {
    env: {...ctx.baseEnv, BENCH_APP: '1'},
    stdio: ['ignore', fd, 'inherit'],
  })
  closeSync(fd)
  const code = await new Promise((resolve) => {
    child.once('exit', resolve)
  })
  const wallMs = performance.now() - t0
  if (code !== 0) throw new Error(`redirect run exited ${code}`)
  const {t0: a0, t1} = JSON.parse(readFileSync(stamp, 'utf8'))
  const bytes = statSync(file).size
  return {bytes, landedMs: t1 - a0, appMs: t1 - a0, wallMs, lost: total - bytes}
}

/** `time`: each line gets its stamp, so the log holds `stampBytes` more than the app wrote. */
async function logUnder(ctx, tool, rep, total, {time = false} = {}) {
  const stampBytes = time ? (total / 100) * TIME_STAMP_BYTES : 0
  const expected = total + stampBytes
  const home = tool.newHome(`log-${rep}`)
  const pid = await tool.idleDaemon(home)
  await sleep(1000)
  const baseRss = await steadyRss(pid)
  const stamp = join(home.work, 'logger.stamp')
  const app = {
    name: 'logger',
    script: ctx.apps.logger,
    args: [stamp, String(total)],
    autorestart: false,
    bigLogs: true,
    time,
    env: {BENCH_APP: '1'},
  }
  const sampler = rssSampler(pid)
  const startP = tool.start(home, [app])
  let landedAt
  let lastBytes = -1
  let lastChange = Date.now()
  const deadline = Date.now() + 300_000
  while (Date.now() < deadline) {
    const bytes = tool.logBytes(home, 'logger')
    if (bytes >= expected) {
      landedAt = Date.now()
      break
    }

    if (bytes !== lastBytes) {
      lastBytes = bytes
      lastChange = Date.now()
    } else if (existsSync(stamp) && Date.now() - lastChange > 5000) {
      break // the app is done and nothing more arrives
    }

    await sleep(5)
  }

  const {peak, samples} = sampler.stop()
  check(await startP, `${tool.label} start logger`)
  for (let i = 0; i < 100 && !existsSync(stamp); i++) await sleep(100)
  const {t0: a0, t1} = JSON.parse(readFileSync(stamp, 'utf8'))
  await sleep(1000)
  const bytes = tool.logBytes(home, 'logger')
  const r = {
    // What the app wrote that is in the log, its stamps not counted: throughput compares with the redirect's.
    bytes: bytes - stampBytes,
    lost: expected - bytes,
    landedMs: landedAt === undefined ? Number.NaN : Math.max(landedAt, t1) - a0,
    appMs: t1 - a0,
    baseRss,
    peakRss: peak,
    rssGrowth: peak - baseRss,
    rssSamples: samples,
  }
  await tool.shutdown(home)
  return r
}

/** N apps that exit 1 at once, each tool's default restart policy, for S seconds. */
export async function crashStorm(ctx, rep) {
  const {cfg} = ctx
  const out = {}
  for (const tool of order(ctx, rep)) {
    const home = tool.newHome(`storm-${rep}`)
    const pid = await tool.idleDaemon(home)
    await sleep(1000)
    const baseRss = await steadyRss(pid)
    const cpu0 = cpuSeconds(pid)
    const app = cfg.stormApp === 'sh' ? {script: ctx.apps.crashSh, interpreter: 'none'} : {script: ctx.apps.crash}
    const apps = Array.from({length: cfg.stormApps}, (_, i) => ({name: `crash-${i}`, ...app, env: {BENCH_APP: '1'}}))
    const sampler = rssSampler(pid)
    const t0 = performance.now()
    const end = t0 + cfg.stormSec * 1000
    const startP = tool.start(home, apps)
    const polls = []
    while (performance.now() < end) {
      const listed = await tool.list(home, 5000)
      polls.push({ms: listed.ok ? listed.ms : Infinity, ok: listed.ok, error: listed.error})
      await sleep(250)
    }

    const cpu = cpuSeconds(pid) - cpu0
    const endRss = rssBytes(pid)
    const {peak} = sampler.stop()
    const started = await startP
    const final = await tool.list(home)
    const statuses = {}
    for (const p of final.procs) statuses[p.status] = (statuses[p.status] ?? 0) + 1
    out[tool.key] = {
      startOk: started.code === 0,
      restarts: final.procs.reduce((sum, p) => sum + (p.restarts ?? 0), 0),
      statuses,
      cpu,
      baseRss,
      peakRss: peak,
      endRss,
      rssGrowth: peak - baseRss,
      polls: polls.map((p) => p.ms),
      pollErrors: polls.filter((p) => !p.ok).map((p) => p.error),
    }
    await tool.shutdown(home)
  }

  return out
}

// ---------------------------------------------------------------------------------------------
// Until every port answers: N tiny HTTP servers, each on its own port, timed from the command
// until each port has answered a GET; the floor (the same apps spawned by the bench, no manager)
// is measured in the same rep. The order rotates among floor/tspm/PM2 from rep to rep.

function httpApps(ctx, ports, client) {
  return ports.map((port, i) => ({
    name: `web-${i}`,
    script: ctx.apps.http,
    args: client.appArgs(port),
    readyTcp: port,
    env: {BENCH_APP: '1'},
  }))
}

function contestants(ctx, rep) {
  const all = ['floor', ctx.tools.tspm, ctx.tools.pm2]
  return all.map((_, i) => all[(rep + i) % all.length])
}

/** A start that fails on the `ready` key most likely meets a tspm that does not have it yet. */
function checkStart(tool, result, what) {
  if (tool.key === 'tspm' && TSPM_READY && result.code !== 0 && /\bready\b/.test(result.stderr + result.stdout))
    what += ' (with `ready: {tcp}`; BENCH_TSPM_READY=0 leaves it out for a tspm without it)'
  return check(result, what)
}

/** The client's wait, ended early with its error when `command` rejects (the start or resurrect failed). */
async function servingUnless(client, ports, t0, command) {
  const abort = new AbortController()
  command.catch((error) => abort.abort(error))
  return client.serve(ports, {t0, signal: abort.signal})
}

/** A promise that rejects should tspm's foreground resurrect end (it runs until its kill); off() drops it. */
function earlyExit(child, home) {
  let off
  const promise = new Promise((_resolve, reject) => {
    const early = (code, sig) =>
      reject(
        new Error(`tspm resurrect exited ${code ?? sig} before every port answered; see ${home.work}/resurrect.log`),
      )
    child.once('exit', early)
    off = () => child.off('exit', early)
  })
  promise.catch(() => {})
  return {promise, off}
}

function served(r) {
  const sorted = [...r.perPort].sort((a, b) => a - b)
  return {
    ms: r.ms,
    firstMs: sorted[0],
    medianPortMs: median(sorted),
    attempts: r.attempts,
    clientCpuMs: r.clientCpuMs,
    elsewhereCpu: r.elsewhereCpu,
  }
}

async function floorRun(ctx, client) {
  const ports = await freePorts(ctx.cfg.serveApps)
  return served(await floorServe(ctx.apps.http, ports, ctx.baseEnv, client))
}

/** Runs fn(client) with a polling client opened before anything is timed, closed after. */
async function withClient(ctx, fn) {
  const client = await openClient(ctx.baseEnv)
  try {
    return await fn(client)
  } finally {
    client.close()
  }
}

/**
 * Each contestant of this rep, in its turn: the floor, or a tool in a fresh home with N HTTP apps
 * in its config, timed by `run`; the tool is shut down after.
 */
function eachServeContestant(ctx, rep, tag, run) {
  return withClient(ctx, async (client) => {
    const out = {}
    for (const who of contestants(ctx, rep)) {
      if (who === 'floor') {
        out.floor = await floorRun(ctx, client)
        continue
      }

      const home = who.newHome(`${tag}-${rep}`)
      const ports = await freePorts(ctx.cfg.serveApps)
      const file = who.writeConfig(home, httpApps(ctx, ports, client))
      out[who.key] = await run({client, file, home, ports, tool: who})
      await who.shutdown(home)
    }

    return out
  })
}

/** Fresh home, no daemon: the tool's start of N HTTP apps until every port answers. */
export function serveStart(ctx, rep) {
  const n = ctx.cfg.serveApps
  return eachServeContestant(ctx, rep, 'serve', async ({client, file, home, ports, tool}) => {
    const elsewhere = busyElsewhere(`BENCH_RUN=${ctx.runId}`)
    const t0 = process.hrtime.bigint()
    const startP = tool.cli(home, tool.startArgs(file))
    const startOk = startP.then((result) => checkStart(tool, result, `${tool.label} start ${n}`))
    const r = await servingUnless(client, ports, t0, startOk)
    const elsewhereCpu = elsewhere.stop()
    const started = await startOk
    return {...served({...r, elsewhereCpu}), startCliMs: started.ms, liveApps: tool.apps(home).length}
  })
}

/**
 * Start N HTTP apps, save, then the crash of the machine: SIGKILL to the daemon and to every app.
 * Timed: the tool's resurrect (tspm: `tspm resurrect` in the background, it is the supervisor in
 * the foreground; PM2: `pm2 resurrect`) until every port answers.
 */
export function serveResurrect(ctx, rep) {
  const n = ctx.cfg.serveApps
  return eachServeContestant(ctx, rep, 'serve-resurrect', async ({client, file, home, ports, tool}) => {
    checkStart(tool, await tool.cli(home, tool.startArgs(file)), `${tool.label} start ${n}`)
    await client.serve(ports, {t0: process.hrtime.bigint()})
    check(await tool.cli(home, ['save']), `${tool.label} save`)
    await tool.killHard(home)
    await sleep(500)
    const elsewhere = busyElsewhere(`BENCH_RUN=${ctx.runId}`)
    const t0 = process.hrtime.bigint()
    // tspm's resurrect runs until its kill (a failure is its early exit); PM2's is a CLI that
    // returns once it has launched the apps. Either runs while the client polls.
    const exit = tool.key === 'tspm' ? earlyExit(await tool.resurrect(home), home) : undefined
    const resurrected = exit ? exit.promise : tool.resurrect(home)
    const r = await servingUnless(client, ports, t0, resurrected).finally(() => exit?.off())
    const elsewhereCpu = elsewhere.stop()
    if (!exit) await resurrected
    await sleep(1000)
    const listed = await tool.list(home)
    return {
      ...served({...r, elsewhereCpu}),
      liveApps: tool.apps(home).length,
      listedOnline: listed.procs.filter((p) => p.status === 'online').length,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Reload under load: N instances of one HTTP app behind one port (tspm: `listen:`, tspm holds the
// socket and hands it to every instance; PM2: its cluster mode, the daemon holds it), requests in
// loops from a client of its own, and the tool's own reload of the app while they run.

const ESC = String.fromCodePoint(27)
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g')
/** The last lines a command printed, without PM2's colours. */
const lastLines = (result) =>
  `${result.stdout}\n${result.stderr}`.replaceAll(ANSI, '').trim().split('\n').slice(-6).join(' | ').slice(-400)

/**
 * Per contestant (the floor, then each tool, the order rotated by rep): the app's N instances up
 * (ready once each sends 'ready'), the load, its warm-up, the steady window; then the reload, timed
 * from its launch to its end (the reload window), and the load goes on a moment after. Every
 * request that failed from the reload's launch until the load ended (the requests in flight when
 * it stops included) counts against the reload. A tool runs in a fresh home and reloads with its
 * own `reload web`, and its list after must show every instance online with a new pid. The floor
 * is what a reload costs with no manager: new Node processes start cold.
 */
export async function reloadUnderLoad(ctx, rep) {
  const out = {}
  for (const who of contestants(ctx, rep)) {
    // A fresh client for each: a client warmed on another contestant would serve more at first.
    const load = await openLoad(ctx.baseEnv)
    try {
      const [port] = await freePorts(1)
      if (who === 'floor') out.floor = await floorReload(ctx, load, port)
      else out[who.key] = await toolReload(ctx, {tool: who, load, port, rep})
    } finally {
      load.close()
    }
  }

  return out
}

/**
 * The load against port: its warm-up, the steady window, then reload() (timed from its call to
 * its return: the reload window), and a moment more. The figures of each window, with the marks.
 */
async function measureReload(ctx, load, port, reload) {
  const {cfg} = ctx
  const t0 = process.hrtime.bigint()
  await load.run(port, {t0, concurrency: cfg.reloadClients})
  await sleep(cfg.reloadWarmupMs)
  const elsewhere = busyElsewhere(`BENCH_RUN=${ctx.runId}`)
  const steadyFrom = process.hrtime.bigint()
  await sleep(cfg.reloadSteadyMs)
  const reloadFrom = process.hrtime.bigint()
  const reloaded = await reload()
  const reloadTo = process.hrtime.bigint()
  await sleep(cfg.reloadTailMs)
  const stopFrom = process.hrtime.bigint()
  const elsewhereCpu = elsewhere.stop()
  const seen = await load.stop({
    beforeReload: [t0, reloadFrom],
    steady: [steadyFrom, reloadFrom],
    reload: [reloadFrom, reloadTo],
    afterReload: [reloadTo, stopFrom],
    sinceReload: [reloadFrom, undefined],
  })
  const {steady, reload: during, afterReload, sinceReload, beforeReload} = seen.windows
  const ms = (mark) => Number(mark - t0) / 1e6
  return {
    reloaded,
    windows: seen.windows,
    figures: {
      steadyRps: steady.rps,
      reloadRps: during.rps,
      ratio: during.rps / steady.rps,
      afterRps: afterReload.rps,
      failed: sinceReload.failed,
      failedCodes: sinceReload.codes,
      failedBeforeReload: beforeReload.failed,
      failedBeforeCodes: beforeReload.codes,
      longestGapMs: during.longestGapMs,
      reloadMs: ms(reloadTo) - ms(reloadFrom),
      pidsSteady: steady.pids.length,
      requests: seen.totals,
      clientCpuMs: seen.clientCpuMs,
      elsewhereCpu,
      marks: {steadyFrom: ms(steadyFrom), reloadFrom: ms(reloadFrom), reloadTo: ms(reloadTo)},
      timeline: seen.timeline,
    },
  }
}

/**
 * The floor: the same instances and load with no manager (lib/reload-floor.mjs, a cluster
 * primary that holds the socket, as tspm does, and rolls the instances one by one).
 */
async function floorReload(ctx, load, port) {
  const {cfg} = ctx
  const primary = spawn(
    process.execPath,
    [FLOOR_PRIMARY, ctx.apps.reloadHttp, String(port), String(cfg.reloadInstances)],
    {
      env: {...ctx.baseEnv, BENCH_APP: '1'},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  )
  const answer = () =>
    new Promise((resolve, reject) => {
      const onExit = (code, sig) => reject(new Error(`the reload floor's primary exited ${code ?? sig}`))
      primary.once('exit', onExit)
      primary.once('message', (message) => {
        primary.off('exit', onExit)
        if (message.error) reject(new Error(`the reload floor: ${message.error}`))
        else resolve(message)
      })
    })
  try {
    const {up} = await answer()
    const {figures, reloaded} = await measureReload(ctx, load, port, async () => {
      const rolled = answer()
      primary.send({roll: true})
      return rolled
    })
    return {...figures, pidsChanged: reloaded.rolled.filter((pid) => !up.includes(pid)).length}
  } finally {
    if (primary.connected) primary.send({stop: true})
    if (primary.exitCode === null)
      await new Promise((resolve) => {
        primary.once('exit', resolve)
      })
  }
}

/** A tool in a fresh home: its start of the instances, its own `reload web` under the load, its list after. */
async function toolReload(ctx, {tool, load, port, rep}) {
  const n = ctx.cfg.reloadInstances
  const home = tool.newHome(`reload-${rep}`)
  const app = {
    name: 'web',
    script: ctx.apps.reloadHttp,
    instances: n,
    listen: port,
    readyNotify: true,
    env: {BENCH_APP: '1'},
  }
  const file = tool.writeConfig(home, [app])
  check(await tool.cli(home, tool.startArgs(file)), `${tool.label} start web (${n} instances)`)
  const before = await tool.waitOnline(home, n, {t0: performance.now(), deadlineMs: 60_000})
  const oldPids = new Set(before.procs.map((p) => p.pid))
  const {figures, reloaded, windows} = await measureReload(ctx, load, port, () => tool.cli(home, ['reload', 'web']))
  const after = await tool.list(home)
  const online = after.procs.filter((p) => p.status === 'online')
  const result = {
    ...figures,
    reloadMs: reloaded.ms,
    reloadCode: reloaded.timedOut ? 'timed out' : (reloaded.code ?? reloaded.signal),
    reloadOutput: lastLines(reloaded),
    listed: after.procs.length,
    listedOnline: online.length,
    pidsChanged: online.filter((p) => !oldPids.has(p.pid)).length,
    listError: after.ok ? undefined : after.error,
    oldPidsAnsweringAfter: windows.afterReload.pids.filter((pid) => oldPids.has(pid)).length,
    newPidsAnsweringAfter: windows.afterReload.pids.filter((pid) => online.some((p) => p.pid === pid)).length,
    // By pid: PM2's cluster workers get their env (BENCH_APP) only once they run, so the marker cannot find them.
    oldAlive: [...oldPids].filter((pid) => alive(pid)).length,
  }
  await tool.shutdown(home)
  return result
}

/**
 * `tspm logs web -n 1000` on a 1 GiB log with its time file: wall time and peak RSS of the CLI
 * (GNU time's %M), without a supervisor and with one that runs the app, and `node -e 0` timed the
 * same way. The log is made fast: a sparse file whose last 16 MiB are 100-byte lines, and a time
 * file with a record per 100 bytes of the whole file (every line at a millisecond of its own: 10.7
 * M records, 172 MB for 1 GiB, the largest a time file gets), so the binary search has its depth.
 */
export async function logsRead(ctx) {
  const {cfg} = ctx
  const tool = ctx.tools.tspm
  const home = tool.newHome('logs-read')
  const logsDir = join(home.dir, 'logs')
  mkdirSync(logsDir, {recursive: true, mode: 0o700})
  const t0 = Date.now() - cfg.logsReadBytes / 100
  const lastLine = writeBigLog(join(logsDir, 'web-out.log'), cfg.logsReadBytes, t0)
  writeFileSync(join(logsDir, 'web-err.log'), 'one line of stderr\n')
  const timed = async (args, check) => {
    const runs = []
    for (let i = 0; i < cfg.logsReadRuns + 2; i++) {
      const result = await run(TIME_BIN, ['-f', 'rss=%M', ...args], {env: home.env, cwd: home.work})
      if (result.code !== 0) throw new Error(`${args.join(' ')}: exit ${result.code}: ${result.stderr.slice(-300)}`)
      check?.(result.stdout)
      const rss = Number(/rss=(\d+)\s*$/.exec(result.stderr)?.[1]) * 1024
      if (i >= 2) runs.push({ms: result.ms, rss})
    }

    return runs
  }

  const checkOutput = (stdout) => {
    const lines = stdout.trimEnd().split('\n')
    if (lines.length !== 1001 || !lines.at(-1).endsWith(lastLine) || !lines.includes('web err | one line of stderr'))
      throw new Error(`tspm logs showed ${lines.length} lines, ending ${JSON.stringify(lines.at(-1))}`)
  }

  const logs = [process.execPath, tool.bin, 'logs', 'web', '-n', '1000']
  const out = {floor: await timed([process.execPath, '-e', '0'])}
  out.alone = await timed(logs, checkOutput)
  check(
    await tool.start(home, [{name: 'web', script: ctx.apps.idle, env: {BENCH_APP: '1'}, bigLogs: true}]),
    'tspm start web',
  )
  out.supervised = await timed(logs, checkOutput)
  await tool.shutdown(home)
  rmSync(logsDir, {recursive: true, force: true})
  return out
}

const TIME_BIN = '/usr/bin/time'

/** A sparse log of `size` bytes ending in about 16 MiB of 100-byte lines, and its time file; returns the last line. */
function writeBigLog(path, size, t0) {
  const lines = Math.floor(Math.min(16 * MiB, size) / 100)
  const fd = openSync(path, 'w', 0o640)
  ftruncateSync(fd, size - lines * 100)
  const line = (n) => `${String(n).padStart(10, '0')} level=info msg=`.padEnd(99, 'x')
  for (let first = 0; first < lines; first += 10_000) {
    const count = Math.min(10_000, lines - first)
    writeSync(fd, Array.from({length: count}, (_, i) => `${line(first + i)}\n`).join(''), size - (lines - first) * 100)
  }

  closeSync(fd)
  const records = Math.floor(size / 100)
  const times = openSync(join(dirname(path), `.${basename(path)}.times`), 'w', 0o640)
  const chunk = Buffer.alloc(65_536 * 16)
  for (let first = 0; first < records; first += 65_536) {
    const count = Math.min(65_536, records - first)
    for (let i = 0; i < count; i++) {
      chunk.writeDoubleLE((first + i) * 100, i * 16)
      chunk.writeDoubleLE(t0 + first + i, i * 16 + 8)
    }

    writeSync(times, chunk, 0, count * 16)
  }

  closeSync(times)
  return line(lines - 1)
}
