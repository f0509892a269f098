// The reload scenario's floor: a reload with no manager, only the work a reload cannot skip. This
// process (the bench forks it) is a Node cluster primary in SCHED_NONE mode: it holds the one
// listening socket and every worker accepts on it itself, as tspm's instances do on the socket
// tspm holds; the primary never accepts. Told {roll: true}, it replaces the workers one by one as
// a reload does: a new one, its process.send('ready'), SIGTERM to the old one, the old one's exit.
//
// IPC with the bench: it sends {up: pids} once every worker is ready, {rolled: pids} after a roll,
// {error} on a failure; {stop: true} ends it.
import cluster from 'node:cluster'

const [script, port, count] = process.argv.slice(2)
cluster.schedulingPolicy = cluster.SCHED_NONE
cluster.setupPrimary({exec: script, stdio: ['ignore', 'ignore', 'inherit', 'ipc']})

const READY_TIMEOUT_MS = 10_000

function startWorker() {
  const worker = cluster.fork({PORT: port})
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`a worker was not ready in ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    )
    worker.once('exit', (code, signal) => reject(new Error(`a worker exited ${code ?? signal} before it was ready`)))
    worker.on('message', (message) => {
      if (message !== 'ready') return
      clearTimeout(timer)
      resolve(worker)
    })
  })
}

function stopWorker(worker) {
  return new Promise((resolve) => {
    worker.once('exit', resolve)
    worker.process.kill('SIGTERM')
  })
}

const pids = (workers) => workers.map((worker) => worker.process.pid)
let workers = []
process.on('message', async (message) => {
  try {
    if (message.roll) {
      for (const [i, old] of workers.entries()) {
        const fresh = await startWorker()
        await stopWorker(old)
        workers[i] = fresh
      }

      process.send({rolled: pids(workers)})
    }

    if (message.stop) {
      for (const worker of workers) worker.process.kill('SIGKILL')
      process.exit(0)
    }
  } catch (error) {
    process.send({error: error.message})
  }
})

try {
  workers = await Promise.all(Array.from({length: Number(count)}, startWorker))
  process.send({up: pids(workers)})
} catch (error) {
  process.send({error: error.message})
}
