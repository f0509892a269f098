// The client of the serve scenarios, in a process of its own (see CLIENT in serve.mjs), driven
// over IPC: {id, ports, t0} → {id, ms, perPort, attempts, clientCpuMs} or {id, error}; {abort: id}
// ends a wait. Its first message says where the apps send their hints ({notifyPort}, 'notify' mode).
import {pollPorts, udpHints} from './serve.mjs'

const mode = process.argv[2]
const hints = mode === 'notify' ? await udpHints() : undefined
const aborted = new Set()
process.on('message', async (m) => {
  if (m.abort !== undefined) {
    aborted.add(m.abort)
    return
  }

  try {
    const r = await pollPorts(m.ports, {t0: BigInt(m.t0), going: () => !aborted.has(m.id), hints})
    process.send({id: m.id, ...r})
  } catch (error) {
    process.send({id: m.id, error: error.message})
  }
})
process.on('disconnect', () => process.exit(0))
process.send({notifyPort: hints?.port})
