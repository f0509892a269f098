// An API that needs the database from its first line: started before db answers, it exits 1.
import {appendFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {connect} from 'node:net'

const dbPort = Number(process.env.DB_PORT ?? 15432)
const port = Number(process.env.PORT ?? 3001)
if (process.env.TRACE_FILE) appendFileSync(process.env.TRACE_FILE, `api first line\n`)

const db = connect(dbPort, '127.0.0.1')
db.once('error', (error) => {
  console.error(`api: cannot reach db on 127.0.0.1:${dbPort}: ${error.message}`)
  process.exit(1)
})
db.once('connect', () => {
  db.end()
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ok: true, path: request.url, pid: process.pid}) + '\n')
  })
  server.listen(port, '127.0.0.1', () => console.log(`api: db reached, serving on http://127.0.0.1:${port}`))
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
})
