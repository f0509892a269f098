// A background worker: does a unit of "work" at a fixed interval and logs it.
const flag = process.argv.indexOf('--interval')
const intervalMs = flag >= 0 ? Number(process.argv[flag + 1]) : 2000
let jobs = 0

const timer = setInterval(() => {
  jobs++
  console.log(`worker: finished job ${jobs}`)
}, intervalMs)

console.log(`worker started (pid ${process.pid}), a job every ${intervalMs} ms`)

process.on('SIGTERM', () => {
  clearInterval(timer)
  console.log(`worker: stopping after ${jobs} jobs`)
  process.exit(0)
})
