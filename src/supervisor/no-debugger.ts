/**
 * Imported first by every supervisor entry, before anything else is evaluated: Node opens its
 * inspector on 127.0.0.1:9229 when a process gets SIGUSR1 and nobody listens for it, and any local
 * user can connect to that port and run code as the supervisor's user. A listener turns it off.
 */
process.on('SIGUSR1', () => {
  process.stdout.write('received SIGUSR1; ignored (the supervisor opens no debugger)\n')
})
