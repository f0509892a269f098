import assert from 'node:assert/strict'
import {test} from 'node:test'

import {ignoreMatcher} from '../../src/supervisor/restart-triggers.js'

test("watch ignores node_modules, .git, the names, globs and paths of ignore_watch, and the app's own logs", () => {
  const ignored = ignoreMatcher({cwd: '/srv/app', ignore_watch: ['cache', '*.tmp', 'dist/**', 'public/uploads/']}, [
    '/srv/app/logs/app-out.log',
  ])
  for (const path of [
    '/srv/app/node_modules/x/index.js',
    '/srv/app/.git/HEAD',
    '/srv/app/cache',
    '/srv/app/src/cache/entry.json',
    '/srv/app/notes.tmp',
    '/srv/app/dist/bundle.js',
    '/srv/app/public/uploads/a.png',
    '/srv/app/logs/app-out.log',
    '/srv/app/logs/app-out.log.1',
    '/srv/app/logs/.app-out.log.times',
  ]) {
    assert.equal(ignored(path), true, path)
  }

  for (const path of [
    '/srv/app/src/index.js',
    '/srv/app/cachet.js',
    '/srv/app/tmp.js',
    '/srv/app/logs/other.log',
    '/srv/app/distant/a.js',
  ]) {
    assert.equal(ignored(path), false, path)
  }
})
