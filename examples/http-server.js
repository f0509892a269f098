// A small HTTP server: answers every request with a greeting and its own pid.
import {createServer} from 'node:http'

const port = Number(process.env.PORT ?? 3000)
const greeting = process.env.GREETING ?? 'hello'

const server = createServer((request, response) => {
  response.setHeader('content-type', 'application/json')
  response.end(JSON.stringify({greeting, pid: process.pid, path: request.url}) + '\n')
})

server.listen(port, () => console.log(`web listening on http://localhost:${port} (pid ${process.pid})`))

// Finish open requests before leaving, as a well-behaved app does on `tspm stop`.
process.on('SIGTERM', () => {
  console.log('web: SIGTERM received, closing')
  server.close(() => process.exit(0))
})
