// A stand-in for a database: it takes 1.5 s to load before it accepts connections.
import {appendFileSync} from 'node:fs'
import {createServer} from 'node:net'

const port = Number(process.env.DB_PORT ?? 15432)
const loadMs = Number(process.env.DB_LOAD_MS ?? 1500)

console.log(`db: loading (${loadMs} ms)`)
setTimeout(() => {
  const server = createServer((socket) => {
    // A ready check connects and hangs up at once; its reset is no reason to go down.
    socket.on('error', () => {})
    socket.end('ok\n')
  })
  server.listen(port, '127.0.0.1', () => {
    console.log(`db: accepting connections on 127.0.0.1:${port}`)
    // Lets a test compare this moment with api's first line.
    if (process.env.TRACE_FILE) appendFileSync(process.env.TRACE_FILE, `db ready\n`)
  })
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}, loadMs)
