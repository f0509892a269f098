// The load client of the reload scenario, in a process of its own (see openLoad in load.mjs),
// driven over IPC: {start: {port, t0, concurrency}} → {started}; {stop: {windows: {name: [from,
// to]}}} (ms since t0; to null: until the end) → {windows: {name: figures}, timeline, totals,
// clientCpuMs}. Its first message, {ready}, says it listens.
import {startLoad, timeline, windowStats} from './load.mjs'

let load
process.on('message', async (m) => {
  try {
    if (m.start) {
      if (load) throw new Error('a load runs already')
      load = startLoad(m.start.port, {t0: BigInt(m.start.t0), concurrency: m.start.concurrency})
      process.send({started: true})
    } else if (m.stop) {
      if (!load) throw new Error('no load runs')
      const record = await load.stop()
      load = undefined
      const windows = {}
      for (const [name, [from, to]] of Object.entries(m.stop.windows)) {
        windows[name] = windowStats(record, from, to ?? record.endMs)
      }

      process.send({
        windows,
        timeline: timeline(record),
        totals: {ok: record.okAt.length, failed: record.failures.length, ms: record.endMs},
        clientCpuMs: record.clientCpuMs,
      })
    }
  } catch (error) {
    process.send({error: error.message})
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ready: true})
