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
      `| ${s} | … as a share of the plain redirect | ${fmtRatio(tr)} | ${fmtRatio(pr)} | ${fmtRatio(ratio(tr, pr))} | ≥ 0.9x redirect | ${yes(tr >= 0.9)} |`,
    )
    if (!(tr >= 0.9)) failed.push(`${s}: ${fmtRatio(tr)} of the plain redirect (target ≥ 0.9x)`)
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
    row(s, 'bytes lost (worst rep; negative: extra bytes)', lostT, lostP, lostShow, {
      text: '0',
      ok: lg.every((r) => r.tspm?.lost === 0),
    })
    const gt = median(lg.map((r) => r.tspm?.rssGrowth))
    const gp = median(lg.map((r) => r.pm2?.rssGrowth))
    row(s, 'supervisor peak RSS growth while it runs (sampled every 50 ms)', gt, gp, mib, {
      text: '< 5 MiB',
      ok: gt < 5 * MiB,
    })
    details.push(
      `Log throughput: ${lg.length} rep(s), order rotated among redirect/tspm/PM2; lines of 100 bytes, 100 lines per write; time from the app's process start to the moment the log holds every byte (file size polled every 5 ms). Per rep MiB/s: redirect ${lg.map((r) => fmt(tput(r.redirect))).join(', ')}; tspm ${lg.map((r) => fmt(tput(r.tspm))).join(', ')}; PM2 ${lg.map((r) => fmt(tput(r.pm2))).join(', ')}. ` +
        `Peak RSS growth per rep: tspm ${lg.map((r) => fmt((r.tspm?.rssGrowth ?? Number.NaN) / MiB, 1)).join(', ')} MiB; PM2 ${lg.map((r) => fmt((r.pm2?.rssGrowth ?? Number.NaN) / MiB, 1)).join(', ')} MiB.`,
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
