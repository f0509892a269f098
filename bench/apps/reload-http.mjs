// One instance of a web app that is reloaded (the reload scenario): answers every GET with its pid.
// Under tspm's socket activation (LISTEN_FDS set) it serves the socket tspm holds, fd 3; else it
// listens on PORT itself (PM2's cluster mode shares that port among its workers). It takes a moment
// to start (START_MS, as an app that loads its code and config does), then tells its manager it is
// ready: process.send('ready'), which both tspm's `ready: {notify: true}` and PM2's `wait_ready`
// wait for. On SIGTERM (tspm's stop signal) or SIGINT (PM2's) it stops taking connections and
// exits once the requests it has are answered.
// PM2's cluster wrapper loads an .mjs script with import(), so this runs under both as it is.
import {createServer} from 'node:http'

const START_MS = 100

const body = `${process.pid}\n`
const server = createServer((_req, res) => {
  res.setHeader('Content-Type', 'text/plain')
  res.end(body)
})

function stop() {
  server.close(() => process.exit(0))
  // Idle keep-alive connections would hold close() open; a client that sent Connection: close has none.
  server.closeIdleConnections()
}

process.once('SIGTERM', stop)
process.once('SIGINT', stop)

const listening = () => process.send?.('ready')
await new Promise((resolve) => {
  setTimeout(resolve, START_MS)
})
if (process.env.LISTEN_FDS) server.listen({fd: 3}, listening)
else {
  const port = Number(process.env.PORT)
  if (!Number.isInteger(port) || port <= 0) {
    console.error(`reload-http.mjs: no LISTEN_FDS and no PORT (PORT=${JSON.stringify(process.env.PORT)})`)
    process.exit(2)
  }

  server.listen(port, listening)
}
