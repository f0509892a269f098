// A tiny HTTP server on 127.0.0.1:PORT, a web app at its simplest: `http.mjs PORT [NOTIFY_PORT]`.
// With NOTIFY_PORT it also sends its PORT in one UDP datagram to 127.0.0.1:NOTIFY_PORT once it
// listens: a hint that tells the bench's client when to try its GET, so the client need not poll
// (and take CPU from the apps); whether the app serves is still decided by that GET.
import {createSocket} from 'node:dgram'
import {createServer} from 'node:http'

const port = Number(process.argv[2])
const notifyPort = Number(process.argv[3])
if (!Number.isInteger(port) || port <= 0) {
  console.error(`usage: http.mjs PORT [NOTIFY_PORT] (got ${JSON.stringify(process.argv.slice(2))})`)
  process.exit(2)
}

createServer((_req, res) => res.end('ok\n')).listen(port, '127.0.0.1', () => {
  if (!Number.isInteger(notifyPort) || notifyPort <= 0) return
  const socket = createSocket('udp4')
  socket.send(String(port), notifyPort, '127.0.0.1', () => socket.close())
})
