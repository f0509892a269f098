// Turns the raw figures into the markdown table: each figure for both tools, the ratio tspm/PM2,
// the target of issue 6 and whether tspm meets it.
import {fmt, fmtRatio, max, median, MiB, percentile, ratio} from './stats.mjs'

const ms = (x) => (Number.isFinite(x) ? `${fmt(x)} ms` : 'n/a')
const mib = (x) => (Number.isFinite(x) ? `${fmt(x / MiB, 1)} MiB` : 'n/a')
const secs = (x) => (Number.isFinite(x) ? `${fmt(x, 2)} s` : 'n/a')
const mibps = (x) => (Number.isFinite(x) ? `${fmt(x, 0)} MiB/s` : 'n/a')
const yes = (ok) => (ok === undefined ? '—' : ok ? '✅ yes' : '❌ **no**')

const pick = (reps, tool, field) => (reps ?? []).map((r) => r[tool]?.[field]).filter((x) => x !== undefined)

export function buildReport({cfg, machine, date, seconds, results, notes}) {
  const rows = []
  const failed = []
  /**
   * One row. t and p are the tspm and PM2 figures (numbers), show formats them; target is
   * {text, ok} where ok is judged on the figures (undefined: no target).
   */
  const row = (scenario, metric, t, p, show, target) => {
    const r = ratio(t, p)
    const ok = target?.ok
    if (ok === false) failed.push(`${scenario}: ${metric} (${target.text})`)
    // A ratio that rounds to the target itself gets a third decimal, so the verdict can be read.
    const shown =
      target?.k !== undefined && Number.isFinite(r) && r.toFixed(2) === target.k.toFixed(2)
        ? `${r.toFixed(3)}x`
        : fmtRatio(r)
    rows.push(`| ${scenario} | ${metric} | ${show(t)} | ${show(p)} | ${shown} | ${target?.text ?? '—'} | ${yes(ok)} |`)
  }

  const relTarget = (t, p, k, op = '<=') => {
    const text = `${op === '<=' ? '≤' : '≥'} ${k}x`
    if (!Number.isFinite(t) || !Number.isFinite(p)) return {text, k, ok: false}
    return {text, k, ok: op === '<=' ? t <= k * p : t >= k * p}
  }

  const details = []

  /**
   * The floor of an "until all online" figure (the bench spawns the apps itself, no manager):
   * its row, and each tool's time as a share of it, with what the PM2-relative target comes to.
   */
  const spawnFloorRows = (s, reps, field, k) => {
    const f = median(pick(reps, 'floor', field))
    if (!Number.isFinite(f)) return
    const t = median(pick(reps, 'tspm', field))
    const p = median(pick(reps, 'pm2', field))
    rows.push(
      `| ${s} | the floor: the bench spawns the same apps one after another, no manager, until the last spawn returns (every app runs; one figure for both), median | ${ms(f)} | ${ms(f)} | — | — | — |`,
      `| ${s} | … as a share of the floor (median / floor median) | ${fmtRatio(t / f)} | ${fmtRatio(p / f)} | — | ${k}x PM2 is ${fmtRatio((k * p) / f)} the floor | — |`,
    )
    details.push(`${s}, the floor per rep (ms): ${pick(reps, 'floor', field).map(fmt).join(', ')}.`)
  }

  // CLI latency -------------------------------------------------------------------------------
  const lat = results.latency
  if (lat) {
    const s = `CLI latency (${cfg.latencyApps} idle apps)`
    const tl = median(lat['tspm.list'])
    const pl = median(lat['pm2.list'])
    row(s, '`tspm list --json` / `pm2 jlist`, median', tl, pl, ms, relTarget(tl, pl, 0.7))
    row(s, '… p95', percentile(lat['tspm.list'], 95), percentile(lat['pm2.list'], 95), ms)
    row(s, '`--version`, median', median(lat['tspm.version']), median(lat['pm2.version']), ms)
    const floor = median(lat.floor)
    rows.push(`| ${s} | \`node -e 0\` (the floor, one command for both) | ${ms(floor)} | ${ms(floor)} | — | — | — |`)
    details.push(
      `CLI latency: ${cfg.latencyRuns} timed runs of each command (after 2 warm-up rounds), round-robin in a rotating order.`,
    )
  }

  // Start, RSS, idle CPU ----------------------------------------------------------------------
  if (results.start?.length) {
    const st = results.start
    const n = cfg.startApps
    const t = (f) => median(pick(st, 'tspm', f))
    const p = (f) => median(pick(st, 'pm2', f))
    row(
      `Start ${n} idle Node apps`,
      `until all ${n} online (no daemon before), median`,
      t('startMs'),
      p('startMs'),
      ms,
      relTarget(t('startMs'), p('startMs'), 0.3),
    )
    spawnFloorRows(`Start ${n} idle Node apps`, st, 'startMs', 0.3)
    row(
      'Supervisor RSS (daemon only)',
      'idle, no apps',
      t('idleRss'),
      p('idleRss'),
      mib,
      relTarget(t('idleRss'), p('idleRss'), 0.75),
    )
    row(
      'Supervisor RSS (daemon only)',
      `with ${n} idle apps`,
      t('rss50'),
      p('rss50'),
      mib,
      relTarget(t('rss50'), p('rss50'), 0.75),
    )
    row(
      'Idle CPU',
      `supervisor CPU over ${cfg.idleCpuSec} s, ${n} idle apps`,
      t('idleCpu'),
      p('idleCpu'),
      secs,
      relTarget(t('idleCpu'), p('idleCpu'), 0.2),
    )
    // The boot service's supervisor against the daemon: as lean (within 2 MiB) and as quiet (0 ticks).
    const bootRss = t('bootRss50')
    row(
      'Boot service supervisor (tspm resurrect as the unit runs it)',
      `RSS with ${n} idle apps, 10 s after they are online; the daemon's: ${fmt(t('rss50') / MiB, 1)} MiB`,
      bootRss,
      undefined,
      mib,
      {text: "≤ the daemon's + 2 MiB", ok: Number.isFinite(bootRss) && bootRss <= t('rss50') + 2 * MiB},
    )
    row(
      'Boot service supervisor (tspm resurrect as the unit runs it)',
      `CPU over ${cfg.idleCpuSec} s, ${n} idle apps; the daemon's: ${fmt(t('idleCpu'), 2)} s`,
      t('bootIdleCpu'),
      undefined,
      secs,
      {text: '0 ticks', ok: t('bootIdleCpu') === 0},
    )
    for (const tool of ['tspm', 'pm2']) {
      const bad = pick(st, tool, 'liveApps').filter((x) => x !== n)
      if (bad.length > 0) notes.push(`${tool}: start ${n}: live app processes ${bad.join(', ')} instead of ${n}`)
    }

    details.push(
      `Start/RSS/CPU: ${st.length} rep(s); per rep tspm: start ${pick(st, 'tspm', 'startMs').map(fmt).join(', ')} ms, idle RSS ${pick(
        st,
        'tspm',
        'idleRss',
      )
        .map((x) => fmt(x / MiB, 1))
        .join(', ')} MiB, RSS ${n} ${pick(st, 'tspm', 'rss50')
        .map((x) => fmt(x / MiB, 1))
        .join(', ')} MiB, CPU ${pick(st, 'tspm', 'idleCpu')
        .map((x) => fmt(x, 2))
        .join(', ')} s; ` +
        `PM2: start ${pick(st, 'pm2', 'startMs').map(fmt).join(', ')} ms, idle RSS ${pick(st, 'pm2', 'idleRss')
          .map((x) => fmt(x / MiB, 1))
          .join(', ')} MiB, RSS ${n} ${pick(st, 'pm2', 'rss50')
          .map((x) => fmt(x / MiB, 1))
          .join(', ')} MiB, CPU ${pick(st, 'pm2', 'idleCpu')
          .map((x) => fmt(x, 2))
          .join(
            ', ',
          )} s (CPU is utime+stime of the daemon from /proc, 10 ms ticks; RSS is its VmRSS, median of 5 samples 3 s after the start). ` +
        `The start command's own time (median): tspm ${fmt(t('startCliMs'))} ms, PM2 ${fmt(p('startCliMs'))} ms.`,
    )
  }

  // Crash to restart gap ----------------------------------------------------------------------
  if (results.gap?.length) {
    const g = (tool) => results.gap.flatMap((b) => b[tool]?.gaps ?? [])
    const s = 'Crash → restart gap'
    row(s, `median over ${g('tspm').length} / ${g('pm2').length} cycles`, median(g('tspm')), median(g('pm2')), ms)
    row(s, 'p95', percentile(g('tspm'), 95), percentile(g('pm2'), 95), ms)
    details.push(
      `Crash gap: shell app, 0.2 s run then exit 1, restart delay 0, no backoff; gaps (ms) tspm ${g('tspm').join(' ')}; PM2 ${g('pm2').join(' ')}.`,
    )
  }

  // Save and resurrect ------------------------------------------------------------------------
  if (results.resurrect?.length) {
    const rs = results.resurrect
    const n = cfg.resurrectApps
    const s = `Save & resurrect ${n} apps`
    const t = (f) => median(pick(rs, 'tspm', f))
    const p = (f) => median(pick(rs, 'pm2', f))
    row(s, '`save`, median', t('saveMs'), p('saveMs'), ms)
    row(
      s,
      `after kill: until all ${n} online, median`,
      t('resurrectMs'),
      p('resurrectMs'),
      ms,
      relTarget(t('resurrectMs'), p('resurrectMs'), 0.3),
    )
    spawnFloorRows(s, rs, 'resurrectMs', 0.3)
    const counts = (tool) => rs.map((r) => r[tool]).filter(Boolean)
    const exact = (tool) =>
      counts(tool).length > 0 &&
      counts(tool).every((r) => r.count === n && r.uniqueNames === n && r.onlineAfter === n && r.liveApps === n)
    const countText = (tool) =>
      counts(tool)
        .map((r) => `${r.count} listed, ${r.liveApps} running`)
        .join('; ')
    rows.push(
      `| ${s} | count afterwards (listed / app processes running) | ${countText('tspm')} | ${countText('pm2')} | — | exactly ${n} | ${yes(exact('tspm'))} |`,
    )
    if (!exact('tspm')) failed.push(`${s}: count afterwards is not exactly ${n}`)
    if (!exact('pm2')) notes.push(`PM2: count after resurrect was not exactly ${n}: ${countText('pm2')}`)
    details.push(
      `Save/resurrect: ${rs.length} rep(s); "kill" is each tool's own \`kill\` (every app and the daemon stop; the bench checks nothing is left), then tspm: \`tspm resurrect\` started in the background (it is the supervisor in the foreground); PM2: \`pm2 resurrect\`; timed until the tool's list shows all ${n} online.`,
    )
  }

  // Log throughput ----------------------------------------------------------------------------
  if (results.log?.length) {
    const lg = results.log
    const total = cfg.logBytes
    const s = `Log throughput (${fmt(total / MiB)} MiB to stdout)`
    const tput = (r) => (r ? r.bytes / MiB / (r.landedMs / 1000) : Number.NaN)
    const redirect = median(lg.map((r) => tput(r.redirect)))
    const t = median(lg.map((r) => tput(r.tspm)))
    const p = median(lg.map((r) => tput(r.pm2)))
    rows.push(
      `| ${s} | plain redirect to a file (reference, one command for both) | ${mibps(redirect)} | ${mibps(redirect)} | — | — | — |`,
    )
    row(s, 'throughput until every byte is in the log file', t, p, mibps)
    const tr = t / redirect
    const pr = p / redirect
    rows.push(
      `| ${s} | … as a share of the plain redirect | ${fmtRatio(tr)} | ${fmtRatio(pr)} | ${fmtRatio(ratio(tr, pr))} | ≥ 0.95x redirect | ${yes(tr >= 0.95)} |`,
    )
    if (!(tr >= 0.95)) failed.push(`${s}: ${fmtRatio(tr)} of the plain redirect (target ≥ 0.95x)`)
    const stamped = median(lg.map((r) => tput(r.tspmTime)))
    const sr = stamped / redirect
    rows.push(
      `| ${s} | with \`time: true\` (a stamp in front of every line; the app's bytes per second) | ${mibps(stamped)} | — | — | — | — |`,
      `| ${s} | … as a share of the plain redirect | ${fmtRatio(sr)} | — | — | ≥ 0.8x redirect | ${yes(sr >= 0.8)} |`,
    )
    if (!(sr >= 0.8)) failed.push(`${s}: with time: true ${fmtRatio(sr)} of the plain redirect (target ≥ 0.8x)`)
    row(
      s,
      "app's own write time (its view)",
      median(lg.map((r) => r.tspm?.appMs)),
      median(lg.map((r) => r.pm2?.appMs)),
      ms,
    )
    const lostT = max(lg.map((r) => r.tspm?.lost ?? Number.NaN))
    const lostP = max(lg.map((r) => r.pm2?.lost ?? Number.NaN))
    const lostShow = (x) => (Number.isFinite(x) ? `${fmt(x)} B` : 'n/a')
    row(
      s,
      'bytes lost (worst rep, `time: true` included; negative: extra bytes)',
      Math.max(lostT, max(lg.map((r) => r.tspmTime?.lost ?? Number.NaN))),
      lostP,
      lostShow,
      {
        text: '0',
        ok: lg.every((r) => r.tspm?.lost === 0 && r.tspmTime?.lost === 0),
      },
    )
    const gt = median(lg.map((r) => r.tspm?.rssGrowth))
    const gp = median(lg.map((r) => r.pm2?.rssGrowth))
    row(s, 'supervisor peak RSS growth while it runs (sampled every 50 ms)', gt, gp, mib, {
      text: '< 5 MiB',
      ok: gt < 5 * MiB,
    })
    details.push(
      `Log throughput: ${lg.length} rep(s), order rotated among redirect/tspm/PM2/tspm with time: true; lines of 100 bytes, 100 lines per write; time from the app's process start to the moment the log holds every byte (file size polled every 5 ms). Per rep MiB/s: redirect ${lg.map((r) => fmt(tput(r.redirect))).join(', ')}; tspm ${lg.map((r) => fmt(tput(r.tspm))).join(', ')}; tspm with time: true ${lg.map((r) => fmt(tput(r.tspmTime))).join(', ')}; PM2 ${lg.map((r) => fmt(tput(r.pm2))).join(', ')}. ` +
        `Peak RSS growth per rep: tspm ${lg.map((r) => fmt((r.tspm?.rssGrowth ?? Number.NaN) / MiB, 1)).join(', ')} MiB; PM2 ${lg.map((r) => fmt((r.pm2?.rssGrowth ?? Number.NaN) / MiB, 1)).join(', ')} MiB.`,
    )
  }

  // Reading a large log ------------------------------------------------------------------------
  const lr = results.logsRead
  if (lr) {
    const s = `\`tspm logs web -n 1000\` (${fmt(cfg.logsReadBytes / MiB)} MiB log and its time file)`
    const wall = (runs) => `${ms(median(runs.map((r) => r.ms)))} (max ${ms(max(runs.map((r) => r.ms)))})`
    const rss = (runs) => mib(max(runs.map((r) => r.rss)))
    for (const [runs, how] of [
      [lr.alone, 'no supervisor'],
      [lr.supervised, 'the supervisor running the app'],
    ]) {
      const okMs = median(runs.map((r) => r.ms)) < 100
      const okRss = max(runs.map((r) => r.rss)) < 60 * MiB
      rows.push(
        `| ${s} | wall time, ${how}, median | ${wall(runs)} | — | — | < 100 ms | ${yes(okMs)} |`,
        `| ${s} | peak RSS, ${how} (worst run) | ${rss(runs)} | — | — | < 60 MiB | ${yes(okRss)} |`,
      )
      if (!okMs) failed.push(`${s}: wall time with ${how} (target < 100 ms)`)
      if (!okRss) failed.push(`${s}: peak RSS with ${how} (target < 60 MiB)`)
    }

    rows.push(
      `| ${s} | \`node -e 0\` timed the same way (the floor) | ${wall(lr.floor)}, ${rss(lr.floor)} | — | — | — | — |`,
    )
    details.push(
      `tspm logs: ${cfg.logsReadRuns} timed runs after 2 warm-ups, each under GNU time (peak RSS is its %M); the log is sparse but for its last 16 MiB of 100-byte lines, its time file has a record per 100 bytes of the whole log; the output (1000 lines of stdout and the one line of stderr, labelled) is checked at every run.`,
    )
  }

  // Crash storm -------------------------------------------------------------------------------
  if (results.storm?.length) {
    const sm = results.storm
    const s = `Crash storm (${cfg.stormApps} ${cfg.stormApp === 'sh' ? 'shell' : 'Node'} apps exit 1 at once, ${cfg.stormSec} s, default policy)`
    const t = (f) => median(pick(sm, 'tspm', f))
    const p = (f) => median(pick(sm, 'pm2', f))
    row(s, 'restarts in the window (total)', t('restarts'), p('restarts'), (x) => fmt(x))
    row(s, 'supervisor CPU in the window', t('cpu'), p('cpu'), secs)
    row(s, 'supervisor peak RSS growth', t('rssGrowth'), p('rssGrowth'), mib, {
      text: '< 10 MiB',
      ok: t('rssGrowth') < 10 * MiB,
    })
    const polls = (tool) => sm.flatMap((r) => r[tool]?.polls ?? [])
    const slow = (tool) => polls(tool).filter((x) => !(x < 1000)).length
    const pollMs = (x) => (x === Infinity ? 'no answer in 5 s' : ms(x))
    const pollText = (tool) => `max ${pollMs(max(polls(tool)))}, ${slow(tool)}/${polls(tool).length} ≥ 1 s`
    const okT = polls('tspm').length > 0 && slow('tspm') === 0
    rows.push(
      `| ${s} | list answers (every poll) | ${pollText('tspm')} | ${pollText('pm2')} | ${fmtRatio(ratio(max(polls('tspm')), max(polls('pm2'))))} | all < 1 s | ${yes(okT)} |`,
    )
    if (!okT)
      failed.push(
        `${s}: list took ≥ 1 s at ${slow('tspm')} of ${polls('tspm').length} polls (max ${pollMs(max(polls('tspm')))})`,
      )
    details.push(
      `Crash storm: ${sm.length} rep(s); statuses at the end: tspm ${sm.map((r) => JSON.stringify(r.tspm?.statuses)).join(', ')}; PM2 ${sm.map((r) => JSON.stringify(r.pm2?.statuses)).join(', ')}; ` +
        `list polls (ms; ∞: no answer in 5 s) tspm ${polls('tspm')
          .map((x) => fmt(x))
          .join(' ')}; PM2 ${polls('pm2')
          .map((x) => fmt(x))
          .join(' ')}.`,
    )
    for (const tool of ['tspm', 'pm2']) {
      for (const r of sm) {
        if (r[tool]?.pollErrors?.length)
          notes.push(`${tool}: storm list errors: ${[...new Set(r[tool].pollErrors)].join(' | ').slice(0, 300)}`)
        if (r[tool] && !r[tool].startOk) notes.push(`${tool}: storm: the start command failed`)
      }
    }
  }

  // Until every port answers: start, and resurrect after kill -9 -------------------------------
  const serve = (reps, title, k, how) => {
    if (!reps?.length) return
    const n = cfg.serveApps
    const s = `${title} ${n} HTTP apps (until every port answers)`
    const t = pick(reps, 'tspm', 'ms')
    const p = pick(reps, 'pm2', 'ms')
    const f = pick(reps, 'floor', 'ms')
    const [tm, pm, fm] = [median(t), median(p), median(f)]
    row(s, `${how}, median`, tm, pm, ms, relTarget(tm, pm, 0.5))
    // Shares of the floor: its median from the same run, so a lucky fast floor rep does not decide.
    const share = (x) => ratio(x, fm)
    const shareText = (r, target) =>
      Number.isFinite(r) && r.toFixed(2) === target.toFixed(2) ? `${r.toFixed(3)}x` : fmtRatio(r)
    const okShare = share(tm) <= k
    rows.push(
      `| ${s} | … as a share of the floor (median / floor median) | ${shareText(share(tm), k)} | ${fmtRatio(share(pm))} | — | ≤ ${k}x floor | ${yes(okShare)} |`,
    )
    if (!okShare) failed.push(`${s}: ${fmtRatio(share(tm))} of the floor (target ≤ ${k}x)`)
    const okWorst = max(t) <= 2 * fm
    rows.push(
      `| ${s} | worst rep (max), and its share of the floor median | ${ms(max(t))} (${shareText(share(max(t)), 2)}) | ${ms(max(p))} (${fmtRatio(share(max(p)))}) | ${fmtRatio(ratio(max(t), max(p)))} | ≤ 2x floor | ${yes(okWorst)} |`,
    )
    if (!okWorst) failed.push(`${s}: worst rep ${ms(max(t))}, ${fmtRatio(share(max(t)))} of the floor (target ≤ 2x)`)
    rows.push(
      `| ${s} | the floor: the same ${n} apps spawned together by the bench, no manager (one figure for both), median (max) | ${ms(fm)} (max ${ms(max(f))}) | ${ms(fm)} (max ${ms(max(f))}) | — | — | — |`,
    )
    for (const tool of ['tspm', 'pm2']) {
      const bad = pick(reps, tool, 'liveApps').filter((x) => x !== n)
      if (bad.length > 0) notes.push(`${tool}: ${s}: live app processes ${bad.join(', ')} instead of ${n}`)
      const offline = pick(reps, tool, 'listedOnline').filter((x) => x !== n)
      if (offline.length > 0)
        notes.push(`${tool}: ${s}: listed online afterwards ${offline.join(', ')} instead of ${n}`)
    }

    const perRep = (who, field, digits = 0) =>
      pick(reps, who, field)
        .map((x) => fmt(x, digits))
        .join(', ')
    details.push(
      `${s}: ${reps.length} rep(s), order rotated among floor/tspm/PM2; ms per rep: floor ${perRep('floor', 'ms')}; tspm ${perRep('tspm', 'ms')}; PM2 ${perRep('pm2', 'ms')}. ` +
        `First port to answer (median of reps): floor ${ms(median(pick(reps, 'floor', 'firstMs')))}, tspm ${ms(median(pick(reps, 'tspm', 'firstMs')))}, PM2 ${ms(median(pick(reps, 'pm2', 'firstMs')))}. ` +
        `The client's own CPU per rep (ms): floor ${perRep('floor', 'clientCpuMs')}; tspm ${perRep('tspm', 'clientCpuMs')}; PM2 ${perRep('pm2', 'clientCpuMs')}. ` +
        `CPU the rest of the machine used meanwhile (s; a shared machine shows here): floor ${perRep('floor', 'elsewhereCpu', 2)}; tspm ${perRep('tspm', 'elsewhereCpu', 2)}; PM2 ${perRep('pm2', 'elsewhereCpu', 2)}.` +
        (reps.some((r) => r.tspm?.startCliMs !== undefined)
          ? ` The start command's own time (ms): tspm ${perRep('tspm', 'startCliMs')}; PM2 ${perRep('pm2', 'startCliMs')}.`
          : ''),
    )
  }

  const serveHow = `client: ${cfg.serveClient === 'poll' ? 'connect + GET to every pending port every 10 ms' : "a GET as each app's listen datagram arrives (every port once a second anyway)"}; tspm apps ${cfg.serveReady ? 'with' : 'without'} \`ready: {tcp: PORT}\``
  serve(results.serve, 'Start', 1.25, 'fresh home, no daemon: `start` until every port answers')
  serve(
    results.serveResurrect,
    'Resurrect',
    1.15,
    'after SIGKILL of the daemon and every app: `resurrect` until every port answers',
  )
  if (results.serve?.length || results.serveResurrect?.length) details.push(`Serve scenarios: ${serveHow}.`)

  // Reload under load ---------------------------------------------------------------------------
  if (results.reload?.length) reloadRows(results.reload, {cfg, row, rows, failed, notes, details})

  const head = [
    `# tspm vs PM2 ${cfg.quick ? '(QUICK smoke run: small sizes, not for the targets)' : ''}`.trim(),
    '',
    `- Date: ${date}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory} RAM, ${machine.os}`,
    `- Node ${machine.node}; tspm ${machine.tspm}; PM2 ${machine.pm2}`,
    `- Reps: ${cfg.reps} (save/resurrect and crash storm: ${cfg.resurrectReps} and ${cfg.stormReps}); bench took ${fmt(seconds / 60, 1)} min`,
    '',
    'Ratios are tspm / PM2 from this one run; targets are those of issue 6, judged on the tspm figure.',
    '',
    '| Scenario | Metric | tspm | PM2 | tspm/PM2 | Target | Met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ]
  const tail = [
    '',
    failed.length > 0 ? `**Targets missed (${failed.length}):**` : '**Every target is met.**',
    ...failed.map((f) => `- ${f}`),
    '',
    '<details><summary>How each figure was taken, raw per-rep figures</summary>',
    '',
    ...details.map((d) => `- ${d}`),
    '',
    '</details>',
  ]
  if (notes.length > 0) tail.push('', 'Notes from the run:', ...notes.map((n) => `- ${n}`))
  return {markdown: [...head, ...rows, ...tail].join('\n') + '\n', failed}
}

/**
 * The rows of the reload scenario: throughput steady and during the reload, their ratio (target
 * ≥ 0.8x for tspm), failed requests (target 0 for tspm, worst rep), the reload's duration, and
 * whether every instance came back with a new pid.
 */
function reloadRows(rl, {cfg, row, rows, failed, notes, details}) {
  const n = cfg.reloadInstances
  const s = `Reload ${n} instances under load (${cfg.reloadClients} request loops, a new connection per GET)`
  const t = (f) => median(pick(rl, 'tspm', f))
  const p = (f) => median(pick(rl, 'pm2', f))
  const rps = (x) => (Number.isFinite(x) ? `${fmt(x)} req/s` : 'n/a')
  const count = (x) => (Number.isFinite(x) ? fmt(x) : 'n/a')
  row(
    s,
    `requests/s, steady (${fmt(cfg.reloadSteadyMs / 1000, 1)} s before the reload), median`,
    t('steadyRps'),
    p('steadyRps'),
    rps,
  )
  row(s, 'requests/s during the reload (from its launch to its exit), median', t('reloadRps'), p('reloadRps'), rps)
  row(
    s,
    `requests/s in the ${fmt(cfg.reloadTailMs / 1000, 1)} s after the reload returned (new instances, not warmed up yet), median`,
    t('afterRps'),
    p('afterRps'),
    rps,
  )
  const [tr, pr] = [t('ratio'), p('ratio')]
  const ratioText = (r) => (Number.isFinite(r) && r.toFixed(2) === (0.8).toFixed(2) ? `${r.toFixed(3)}x` : fmtRatio(r))
  const okRatio = tr >= 0.8
  rows.push(
    `| ${s} | … during / steady (median of the reps' ratios) | ${ratioText(tr)} | ${fmtRatio(pr)} | — | ≥ 0.8x steady | ${yes(okRatio)} |`,
  )
  if (!okRatio) failed.push(`${s}: throughput during the reload ${fmtRatio(tr)} of the steady state (target ≥ 0.8x)`)
  // What no manager can beat: the same roll with no manager, the new Node processes as cold.
  const fr = median(pick(rl, 'floor', 'ratio'))
  rows.push(
    `| ${s} | the floor: the same roll with no manager (a cluster primary holds the socket and replaces the instances one by one; one figure for both), during / steady, median | ${fmtRatio(fr)} | ${fmtRatio(fr)} | — | — | — |`,
  )
  const failedT = max(pick(rl, 'tspm', 'failed'))
  const failedP = max(pick(rl, 'pm2', 'failed'))
  row(s, "failed requests, from the reload's launch until the load ended (worst rep)", failedT, failedP, count, {
    text: '0',
    ok: pick(rl, 'tspm', 'failed').length === rl.length && failedT === 0,
  })
  row(s, '`reload web`, from its launch to its exit, median', t('reloadMs'), p('reloadMs'), ms)
  row(
    s,
    'longest stretch without any answer during the reload (worst rep)',
    max(pick(rl, 'tspm', 'longestGapMs')),
    max(pick(rl, 'pm2', 'longestGapMs')),
    ms,
  )
  const changed = (tool) =>
    rl
      .map((r) => r[tool])
      .filter(Boolean)
      .map((r) => `${r.pidsChanged}/${n}`)
      .join(', ')
  const allChanged = (tool) =>
    rl.every((r) => r[tool] && r[tool].pidsChanged === n && r[tool].listed === n && r[tool].listedOnline === n)
  rows.push(
    `| ${s} | instances online with a new pid afterwards (the tool's list; per rep) | ${changed('tspm')} | ${changed('pm2')} | — | all ${n} | ${yes(allChanged('tspm'))} |`,
  )
  if (!allChanged('tspm')) failed.push(`${s}: not every instance had a new pid after the reload (${changed('tspm')})`)
  reloadNotes(rl, n, notes)

  const perRep = (tool, field, digits = 0) =>
    pick(rl, tool, field)
      .map((x) => fmt(x, digits))
      .join(', ')
  const perTool = (tool) =>
    `steady ${perRep(tool, 'steadyRps')} req/s; during the reload ${perRep(tool, 'reloadRps')} req/s (ratio ${perRep(tool, 'ratio', 2)}); after it ${perRep(tool, 'afterRps')} req/s; failed ${perRep(tool, 'failed')}; reload ${perRep(tool, 'reloadMs')} ms; longest stretch without an answer during it ${perRep(tool, 'longestGapMs')} ms; pids that answered in the steady window ${perRep(tool, 'pidsSteady')}, new pids that answered after the reload ${perRep(tool, 'newPidsAnsweringAfter')}; the client's CPU ${perRep(tool, 'clientCpuMs')} ms; CPU the rest of the machine used from the steady window to the end of the load ${perRep(tool, 'elsewhereCpu', 2)} s`
  details.push(
    `Reload: ${rl.length} rep(s), order rotated among floor/tspm/PM2; ${n} instances of \`apps/reload-http.mjs\` (answers every GET with its pid; ~100 ms of start-up before it listens, then \`process.send('ready')\`; on SIGTERM/SIGINT it closes its server and exits once its requests are answered) behind one port: tspm \`listen: PORT\` (tspm holds the socket, every instance serves it as fd 3) with \`ready: {notify: true}\`; PM2 \`exec_mode: cluster\` with \`env.PORT\`, \`wait_ready: true\`, \`listen_timeout: 10000\`. ` +
      `The client (a process of its own) runs ${cfg.reloadClients} loops of GET to 127.0.0.1:PORT, each on a new connection (\`agent: false\`), ${fmt(cfg.reloadWarmupMs)} ms before the steady window and ${fmt(cfg.reloadTailMs)} ms after the reload returned; a request failed on an error, a status other than 200 or no answer in 5 s (a loop pauses 10 ms after a failure). ` +
      `Per rep, tspm: ${perTool('tspm')}. PM2: ${perTool('pm2')}. ` +
      `The floor (\`lib/reload-floor.mjs\`: a Node cluster primary in SCHED_NONE mode holds the socket and each worker accepts on it, as tspm's instances do; the roll: a new worker, its 'ready', SIGTERM to the old one, its exit): steady ${perRep('floor', 'steadyRps')} req/s; during the roll ${perRep('floor', 'reloadRps')} req/s (ratio ${perRep('floor', 'ratio', 2)}); after it ${perRep('floor', 'afterRps')} req/s; failed ${perRep('floor', 'failed')}; roll ${perRep('floor', 'reloadMs')} ms; new pids ${perRep('floor', 'pidsChanged')}. ` +
      `The 100 ms timeline of every run is in latest.json.`,
  )
}

/** What the table does not show: a reload that failed, failures outside the window, old pids that kept answering. */
function reloadNotes(rl, n, notes) {
  for (const tool of ['tspm', 'pm2']) {
    for (const [i, r] of rl.entries()) {
      const x = r[tool]
      if (!x) continue
      const where = `${tool}: reload rep ${i + 1}`
      if (x.reloadCode !== 0) notes.push(`${where}: \`reload web\` exited ${x.reloadCode}: ${x.reloadOutput}`)
      else if (tool === 'tspm' && !/without downtime/.test(x.reloadOutput))
        notes.push(`${where}: \`tspm reload web\` said: ${x.reloadOutput}`)
      if (x.failedBeforeReload > 0)
        notes.push(
          `${where}: ${x.failedBeforeReload} request(s) failed before the reload: ${JSON.stringify(x.failedBeforeCodes)}`,
        )
      if (x.failed > 0) notes.push(`${where}: failed requests by error: ${JSON.stringify(x.failedCodes)}`)
      if (x.oldPidsAnsweringAfter > 0)
        notes.push(`${where}: ${x.oldPidsAnsweringAfter} old pid(s) still answered after the reload returned`)
      if (x.oldAlive > 0) notes.push(`${where}: ${x.oldAlive} old instance(s) still ran after the reload returned`)
      if (x.listError) notes.push(`${where}: the list afterwards failed: ${x.listError}`)
    }
  }
}
