// An idle app: holds its event loop open and does nothing (a server waiting for work).
setInterval(() => {}, 2 ** 30)
