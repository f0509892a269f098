#!/usr/bin/env node
// tspm against PM2 on this machine, in one run: `npm run bench` (builds first).
//
// Environment:
//   BENCH_QUICK=1       a fast smoke run (fewer apps, less data, one rep): checks the bench, not the targets
//   BENCH_REPS=N        repetitions of the repeated scenarios (default 3; medians are over these)
//   BENCH_ONLY=a,b      run only some scenarios: latency, start, gap, resurrect, log, logs-read, storm, serve,
//                       serve-resurrect, reload
//   BENCH_STORM_APP=sh  crash storm with a shell app (`exit 1`) instead of the default Node app
//   BENCH_TSPM_READY=0  the serve scenarios leave tspm's `ready: {tcp: PORT}` out (for a tspm without it)
//   BENCH_SERVE_CLIENT=poll  the serve scenarios connect + GET every pending port every 10 ms (default: wait for
//                       each app's datagram, then GET; polling by connect costs the apps CPU)
//
// Each tool runs in its own temp home (TSPM_HOME, PM2_HOME) with NODE_EXTRA_CA_CERTS unset, only
// through its own CLI. Everything the bench starts carries a marker in its environment; at the
// end, on error and on Ctrl-C both daemons are killed with their own `kill`, whatever still runs
// with the marker is SIGKILLed, and the temp homes are removed.
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {findByEnv, signal} from './lib/proc.mjs'
import {buildReport} from './lib/report.mjs'
import * as scenarios from './lib/scenarios.mjs'
import {CLIENT} from './lib/serve.mjs'
import {MiB} from './lib/stats.mjs'
import {makeTools, PM2_VERSION, snapshotTspm, TSPM_READY, TSPM_VERSION} from './lib/tools.mjs'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))

function intEnv(name, fallback) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
    process.exit(2)
  }

  return n
}

const QUICK = process.env.BENCH_QUICK === '1'
const REPS = intEnv('BENCH_REPS', QUICK ? 1 : 3)
const ALL = ['latency', 'start', 'gap', 'resurrect', 'log', 'logs-read', 'storm', 'serve', 'serve-resurrect', 'reload']
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : ALL
for (const s of ONLY) {
  if (!ALL.includes(s)) {
    console.error(`BENCH_ONLY: unknown scenario ${JSON.stringify(s)}; known: ${ALL.join(', ')}`)
    process.exit(2)
  }
}

const cfg = {
  quick: QUICK,
  reps: REPS,
  latencyApps: 10,
  latencyRuns: QUICK ? 5 : 20,
  startApps: QUICK ? 10 : 50,
  idleCpuSec: QUICK ? 3 : 10,
  gapCycles: QUICK ? 6 : 20,
  // The gap cycles are split in two blocks per tool, ABBA, so drift hits both.
  gapBlocks: 2,
  resurrectApps: QUICK ? 20 : 100,
  resurrectReps: QUICK ? 1 : Math.min(REPS, 2),
  // A whole number of 100-byte lines: 200 MiB is exactly that.
  logBytes: Math.floor(((QUICK ? 20 : 200) * MiB) / 100) * 100,
  // `tspm logs -n 1000` on a log of this size (with its time file), timed this many times.
  logsReadBytes: QUICK ? 64 * MiB : 1024 * MiB,
  logsReadRuns: QUICK ? 3 : 10,
  stormApps: QUICK ? 10 : 50,
  stormSec: QUICK ? 5 : 15,
  stormReps: QUICK ? 1 : Math.min(REPS, 2),
  stormApp: process.env.BENCH_STORM_APP === 'sh' ? 'sh' : 'node',
  serveApps: QUICK ? 10 : 50,
  serveReady: TSPM_READY,
  serveClient: CLIENT,
  reloadInstances: 4,
  reloadClients: 8,
  // The load runs before the steady window until its rate settles (from fresh apps and a fresh
  // client it climbs for 3-4 s here: JIT), and a moment after the reload returned.
  reloadWarmupMs: QUICK ? 1500 : 5000,
  reloadSteadyMs: QUICK ? 1000 : 2000,
  reloadTailMs: QUICK ? 500 : 1000,
}

// ---------------------------------------------------------------------------------------------
// Context and cleanup

const runId = `${process.pid}-${randomBytes(4).toString('hex')}`
const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tspm-bench-'))
const baseEnv = {...process.env, BENCH_RUN: runId}
for (const name of ['NODE_EXTRA_CA_CERTS', 'TSPM_HOME', 'PM2_HOME', 'BENCH_HOME', 'BENCH_APP']) delete baseEnv[name]

const notes = []
const ctx = {
  cfg,
  runId,
  tmpRoot,
  baseEnv,
  homes: [],
  note(text) {
    notes.push(text)
    console.error(`  note: ${text}`)
  },
  apps: {
    idle: join(BENCH_DIR, 'apps', 'idle.mjs'),
    crash: join(BENCH_DIR, 'apps', 'crash.mjs'),
    crashSh: join(BENCH_DIR, 'apps', 'crash.sh'),
    crashStamp: join(BENCH_DIR, 'apps', 'crash-stamp.sh'),
    logger: join(BENCH_DIR, 'apps', 'logger.mjs'),
    http: join(BENCH_DIR, 'apps', 'http.mjs'),
    reloadHttp: join(BENCH_DIR, 'apps', 'reload-http.mjs'),
  },
}
// Both tools run the shell apps directly (interpreter none): they must be executable even where a
// checkout lost the mode bits.
for (const app of [ctx.apps.crashSh, ctx.apps.crashStamp]) chmodSync(app, 0o755)
ctx.tspmRoot = snapshotTspm(join(tmpRoot, 'tspm-build'))
ctx.tools = makeTools(ctx)

/** Synchronous, so it can run from a signal handler: kill both tools' daemons, then every marked process. */
function cleanupSync() {
  for (const home of ctx.homes) {
    if (home.closed) continue
    home.closed = true
    spawnSync(process.execPath, [home.tool.bin, 'kill'], {env: home.env, stdio: 'ignore', timeout: 30_000})
  }

  sweep()
  rmSync(tmpRoot, {recursive: true, force: true})
}

function sweep() {
  for (let round = 0; round < 3; round++) {
    const left = findByEnv([`BENCH_RUN=${runId}`])
    if (left.length === 0) return
    for (const pid of left) signal(pid, 'SIGKILL')
    spawnSync('sleep', ['0.2'])
  }
}

const failedSteps = []
let interrupted = false
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${sig}: stopping both tools and every app, removing ${tmpRoot} ...`)
    cleanupSync()
    process.exit(130)
  })
}

// ---------------------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    tspm: TSPM_VERSION,
    pm2: PM2_VERSION,
  }
}

async function step(name, fn) {
  const t0 = Date.now()
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${name} ...\n`)
  try {
    const value = await fn()
    process.stderr.write(`    done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
    return value
  } catch (error) {
    ctx.note(`${name} failed: ${error.message}`)
    failedSteps.push(name)
    // Whatever that step left running goes now, so the next step starts from a quiet machine.
    for (const home of ctx.homes) if (!home.closed) await home.tool.shutdown(home)
  }
}

async function main() {
  const started = Date.now()
  const date = new Date().toISOString()
  console.error(
    `tspm bench: ${QUICK ? 'QUICK smoke run' : 'full run'}, reps=${REPS}, scenarios: ${ONLY.join(', ')}; temp ${tmpRoot}`,
  )
  const results = {}
  const probe = ctx.tools.tspm.newHome('probe')
  const {check} = await import('./lib/exec.mjs')
  check(
    await ctx.tools.tspm.cli(probe, ['--version']),
    `tspm --version (build copied from the work tree to ${ctx.tspmRoot})`,
  )
  probe.closed = true
  if (ONLY.includes('latency')) results.latency = await step('CLI latency', () => scenarios.latency(ctx))
  if (ONLY.includes('start')) {
    results.start = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = await step(`start ${cfg.startApps}, RSS, idle CPU (rep ${rep + 1}/${REPS})`, () =>
        scenarios.startAndIdle(ctx, rep),
      )
      if (r) results.start.push(r)
    }
  }

  if (ONLY.includes('gap')) {
    results.gap = []
    for (let block = 0; block < cfg.gapBlocks; block++) {
      const r = await step(`crash-to-restart gap (block ${block + 1}/${cfg.gapBlocks})`, () =>
        scenarios.crashGap(ctx, block),
      )
      if (r) results.gap.push(r)
    }
  }

  if (ONLY.includes('resurrect')) {
    results.resurrect = []
    for (let rep = 0; rep < cfg.resurrectReps; rep++) {
      const r = await step(`save and resurrect ${cfg.resurrectApps} (rep ${rep + 1}/${cfg.resurrectReps})`, () =>
        scenarios.saveResurrect(ctx, rep),
      )
      if (r) results.resurrect.push(r)
    }
  }

  if (ONLY.includes('log')) {
    results.log = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = await step(`log throughput ${Math.round(cfg.logBytes / MiB)} MiB (rep ${rep + 1}/${REPS})`, () =>
        scenarios.logThroughput(ctx, rep),
      )
      if (r) results.log.push(r)
    }
  }

  if (ONLY.includes('logs-read')) {
    results.logsRead = await step(`tspm logs -n 1000 on a ${Math.round(cfg.logsReadBytes / MiB)} MiB log`, () =>
      scenarios.logsRead(ctx),
    )
  }

  if (ONLY.includes('storm')) {
    results.storm = []
    for (let rep = 0; rep < cfg.stormReps; rep++) {
      const r = await step(
        `crash storm ${cfg.stormApps} apps, ${cfg.stormSec} s (rep ${rep + 1}/${cfg.stormReps})`,
        () => scenarios.crashStorm(ctx, rep),
      )
      if (r) results.storm.push(r)
    }
  }

  if (ONLY.includes('serve')) {
    results.serve = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = await step(`start ${cfg.serveApps} HTTP apps until every port answers (rep ${rep + 1}/${REPS})`, () =>
        scenarios.serveStart(ctx, rep),
      )
      if (r) results.serve.push(r)
    }
  }

  if (ONLY.includes('serve-resurrect')) {
    results.serveResurrect = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = await step(
        `resurrect ${cfg.serveApps} HTTP apps after kill -9 until every port answers (rep ${rep + 1}/${REPS})`,
        () => scenarios.serveResurrect(ctx, rep),
      )
      if (r) results.serveResurrect.push(r)
    }
  }

  if (ONLY.includes('reload')) {
    results.reload = []
    for (let rep = 0; rep < REPS; rep++) {
      const r = await step(
        `reload ${cfg.reloadInstances} instances under ${cfg.reloadClients} request loops (rep ${rep + 1}/${REPS})`,
        () => scenarios.reloadUnderLoad(ctx, rep),
      )
      if (r) results.reload.push(r)
    }
  }

  const seconds = (Date.now() - started) / 1000
  const report = buildReport({cfg, machine: machine(), date, seconds, results, notes})
  const resultsDir = join(BENCH_DIR, 'results')
  mkdirSync(resultsDir, {recursive: true})
  writeFileSync(join(resultsDir, 'latest.md'), report.markdown)
  writeFileSync(
    join(resultsDir, 'latest.json'),
    JSON.stringify({cfg, machine: machine(), date, seconds, results, notes}, replacer, 2),
  )
  process.stdout.write(`\n${report.markdown}\n`)
  console.error(`written to ${join(resultsDir, 'latest.md')} (raw figures in latest.json)`)
  return report
}

const replacer = (_key, value) => (value === Infinity ? 'Infinity' : value)

let exitCode = 0
try {
  const report = await main()
  if (report.failed.length > 0) console.error(`targets missed: ${report.failed.join('; ')}`)
  // Missed targets are a result; a scenario that could not run is a failure of the bench.
  if (failedSteps.length > 0) {
    console.error(`scenarios that failed: ${failedSteps.join('; ')}`)
    exitCode = 1
  }
} catch (error) {
  console.error(error.stack ?? String(error))
  exitCode = 1
} finally {
  if (!interrupted) {
    for (const home of ctx.homes) if (!home.closed) await home.tool.shutdown(home)
    cleanupSync()
  }
}

process.exit(exitCode)
