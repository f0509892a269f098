// An app that fails at startup, as one with a missing setting does: exits 1 at once.
process.exit(1)
