import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import {
  ConfigError,
  loadConfigFile,
  parseDuration,
  parseSize,
  specForScript,
  splitArgs,
} from '../../src/config/load-config.js'
import {PROCESS_DEFAULTS, type ProcessSpec} from '../../src/model/process-spec.js'
import {withoutRootPrivileges} from '../helpers/unprivileged.js'

// Every test writes its config into one temp folder and runs from there, so file names in the
// expected messages read exactly as a user would see them ("tspm.yaml:7:19 ...").
let dir = ''
const originalCwd = process.cwd()
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tspm-config-'))
  process.chdir(dir)
})
after(() => {
  process.chdir(originalCwd)
  rmSync(dir, {recursive: true, force: true})
})

/** Writes a file from lines (so line numbers in the tests are easy to count) and returns its name. */
function write(name: string, ...lines: string[]): string {
  mkdirSync(join(dir, name, '..'), {recursive: true})
  writeFileSync(join(dir, name), lines.join('\n') + '\n')
  return name
}

/** Asserts loading fails with exactly this message (one problem per line). */
async function rejectsWith(file: string, ...expected: string[]): Promise<ConfigError> {
  let caught: unknown
  await loadConfigFile(file).catch((error: unknown) => {
    caught = error
  })
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`)
  assert.equal(caught.message, expected.join('\n'))
  assert.equal(caught.problems.length, expected.length)
  return caught
}

describe('loadConfigFile errors', () => {
  test('a wrong duration points at the value', async () => {
    const file = write(
      'tspm.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '  - name: worker',
      '    script: worker.js',
      '    restart_delay: 2s',
      '    kill_timeout: soon',
    )
    const err = await rejectsWith(file, 'tspm.yaml:7:19 processes[1].kill_timeout: expected milliseconds, got "soon"')
    assert.deepEqual(err.problems, [
      {
        file: 'tspm.yaml',
        line: 7,
        column: 19,
        path: 'processes[1].kill_timeout',
        message: 'expected milliseconds, got "soon"',
      },
    ])
    assert.equal(err.name, 'ConfigError')
  })

  test('instances, increment_var and listen: wrong values point at them', async () => {
    const file = write(
      'instances.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '    instances: 2000',
      '    increment_var: "1PORT"',
      '    listen: [3000, 3000]',
      '  - name: web',
      '    script: server.js',
      '    listen: [70000, {address: ./s.sock, mode: 660, nmae: x}, {address: 3001, mode: "0600"}]',
      '  - name: sock',
      '    script: server.js',
      '    listen: {address: ./s.sock, name: "a:b"}',
    )
    await rejectsWith(
      file,
      `instances.yaml:4:16 processes[0].instances: expected a whole number from 1 to 1024, or "max" (one per core; PM2's 0 and -N work too), got 2000`,
      'instances.yaml:5:20 processes[0].increment_var: expected the name of a variable of env, such as PORT, got "1PORT"',
      'instances.yaml:6:20 processes[0].listen[1]: port 3000 is listed twice',
      'instances.yaml:9:14 processes[1].listen[0]: expected a port, "host:port", a socket path, or {address, mode, name}, got 70000',
      'instances.yaml:9:47 processes[1].listen[1].mode: expected permission bits in octal, in quotes, such as "0660", got 660',
      'instances.yaml:9:58 processes[1].listen[1].nmae: unknown key; did you mean "name"?',
      'instances.yaml:9:84 processes[1].listen[2].mode: mode is for a Unix socket path; a TCP port has no file mode',
      'instances.yaml:12:39 processes[2].listen.name: expected a name of letters, digits, ".", "_" or "-" (it goes into LISTEN_FDNAMES), got "a:b"',
    )
  })

  test('wrong types name what is expected', async () => {
    const file = write(
      'types.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '    autorestart: "yes"',
      '    max_restarts: -1',
      '    log_files: 0',
      '    env: [A, B]',
      '    args: {a: 1}',
      '    stop_signal: SIGFOO',
      '    max_log_size: 10 lots',
      '    script: 5',
    )
    // The duplicate `script` key is a YAML error and is reported before anything else.
    await rejectsWith(file, 'types.yaml:11:5: map keys must be unique')
    write(
      'types.yaml',
      'processes:',
      '  - name: api',
      '    script: 5',
      '    autorestart: "yes"',
      '    max_restarts: -1',
      '    log_files: 0',
      '    env: [A, B]',
      '    args: {a: 1}',
      '    stop_signal: SIGFOO',
      '    max_log_size: 10 lots',
      '    cwd: true',
    )
    await rejectsWith(
      file,
      'types.yaml:3:13 processes[0].script: expected the path of a script or a command to run, got 5',
      'types.yaml:4:18 processes[0].autorestart: expected true or false, got "yes"',
      'types.yaml:5:19 processes[0].max_restarts: expected a whole number of 0 or more, got -1',
      'types.yaml:6:16 processes[0].log_files: expected a whole number from 1 to 100, got 0',
      'types.yaml:7:10 processes[0].env: expected a map of variable names to values, got a list',
      'types.yaml:8:11 processes[0].args: expected a list of arguments or a string of them, got a map',
      'types.yaml:9:18 processes[0].stop_signal: expected a signal name like "SIGTERM" or "SIGINT", got "SIGFOO"',
      'types.yaml:10:19 processes[0].max_log_size: expected bytes or a size like "10M", got "10 lots"',
      'types.yaml:11:10 processes[0].cwd: expected a folder path, got true',
    )
  })

  test('problems inside lists and maps point at the element', async () => {
    const file = write(
      'elements.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '    stop_exit_codes: [0, 300]',
      '    args: [--port, true]',
      '    env:',
      '      PORT: 3000',
      '      OPTS: {a: 1}',
      '      EMPTY:',
      '    max_log_size: 100',
      '    min_uptime: 1000h',
      '    max_memory_restart: 100',
      '    cron_restart: "0 3 * *"',
      '    watch: [src, 3]',
    )
    await rejectsWith(
      file,
      'elements.yaml:4:26 processes[0].stop_exit_codes[1]: expected an exit code from 0 to 255, got 300',
      'elements.yaml:5:20 processes[0].args[1]: expected a string or number, got true',
      'elements.yaml:8:13 processes[0].env.OPTS: expected a string, number or true/false, got a map',
      'elements.yaml:9:7 processes[0].env.EMPTY: expected a string, number or true/false, got nothing',
      'elements.yaml:10:19 processes[0].max_log_size: expected at least 1024 bytes ("1K"), got 100',
      'elements.yaml:11:17 processes[0].min_uptime: expected at most 2147483647 ms (about 24 days), got "1000h"',
      'elements.yaml:12:25 processes[0].max_memory_restart: expected at least 1M, got 100',
      'elements.yaml:13:19 processes[0].cron_restart: expected 5 fields (minute hour day month weekday) or 6 (seconds first), got "0 3 * *"',
      'elements.yaml:14:18 processes[0].watch[1]: expected a path, got 3',
    )
  })

  test('an unknown key points at the key and suggests the nearest known one', async () => {
    const file = write(
      'unknown.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '    kill_timout: 5s',
      '    colour: blue',
      '    scirpt: x',
      '    exec_mode: cluster',
      'proceses: []',
      'apps: []',
      'settings: {}',
    )
    await rejectsWith(
      file,
      'unknown.yaml:4:5 processes[0].kill_timout: unknown key; did you mean "kill_timeout"?',
      'unknown.yaml:5:5 processes[0].colour: unknown key',
      'unknown.yaml:6:5 processes[0].scirpt: unknown key; did you mean "script"?',
      'unknown.yaml:8:1 proceses: unknown key; did you mean "processes"?',
      `unknown.yaml:9:1 apps: give the list as "processes:" or as PM2's "apps:", not both`,
      `unknown.yaml:10:1 settings: unknown key; the top level holds "processes" (or PM2's "apps"), "metrics" and, for shared YAML anchors, keys starting with "x-"`,
    )
  })

  test('config_file is not a user key', async () => {
    const file = write('cf.yaml', 'processes:', '  - name: api', '    script: a.js', '    config_file: other.yaml')
    await rejectsWith(file, 'cf.yaml:4:5 processes[0].config_file: unknown key')
  })

  test('a missing name or script points at the entry', async () => {
    const file = write(
      'missing.yaml',
      'processes:',
      '  - script: server.js',
      '    autorestart: false',
      '  - name: worker',
      '  - name:',
      '    script: x',
    )
    await rejectsWith(
      file,
      'missing.yaml:2:5 processes[0].name: missing; expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'missing.yaml:4:5 processes[1].script: missing; expected the path of a script or a command to run',
      'missing.yaml:5:5 processes[2].name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got nothing',
    )
  })

  test('a duplicate name is reported at the second one, naming the first line', async () => {
    const file = write(
      'dup.yaml',
      'processes:',
      '  - name: api',
      '    script: a.js',
      '  - name: worker',
      '    script: b.js',
      '  - name: api',
      '    script: c.js',
    )
    await rejectsWith(
      file,
      'dup.yaml:6:11 processes[2].name: duplicate name "api", already used by processes[0] on line 2',
    )
  })

  test('a name with a bad character, or a number, is refused', async () => {
    const file = write(
      'badname.yaml',
      'processes:',
      '  - name: my app',
      '    script: a.js',
      '  - name: api/v2',
      '    script: b.js',
      '  - name: 123',
      '    script: c.js',
      '  - name: -web',
      '    script: d.js',
      `  - name: ${'x'.repeat(201)}`,
      '    script: e.js',
    )
    await rejectsWith(
      file,
      'badname.yaml:2:11 processes[0].name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got "my app"',
      'badname.yaml:4:11 processes[1].name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got "api/v2"',
      'badname.yaml:6:11 processes[2].name: expected a string, got 123; put the name in quotes',
      'badname.yaml:8:11 processes[3].name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got "-web"',
      `badname.yaml:10:11 processes[4].name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got "${'x'.repeat(201)}"`,
    )
  })

  test('a YAML syntax error is reported with the position from the parser', async () => {
    const file = write('syntax.yaml', 'processes:', '  - name: api', '    script: "server.js', '    args: [1')
    const err = await rejectsWith(file, 'syntax.yaml:5:1: missing closing "quote')
    assert.equal(err.problems[0]!.path, '')
    const flow = write('flow.yaml', 'processes:', '  - name: api', '    args: [1, 2', 'x: 1')
    await rejectsWith(
      flow,
      'flow.yaml:4:1: flow sequence in block collection must be sufficiently indented and end with a ]',
    )
    const twoDocs = write('two.yaml', 'processes: []', '---', 'processes: []')
    await rejectsWith(twoDocs, 'two.yaml:2:1: expected one YAML document, found more than one (separated by "---")')
  })

  test('a missing file says how to fix it', async () => {
    const err = await rejectsWith(
      'tspm.missing.yaml',
      'tspm.missing.yaml: no such file; pass -c FILE or create it (see examples/tspm.yaml)',
    )
    assert.deepEqual(err.problems[0], {
      file: 'tspm.missing.yaml',
      line: 0,
      column: 0,
      path: '',
      message: 'no such file; pass -c FILE or create it (see examples/tspm.yaml)',
    })
    mkdirSync(join(dir, 'folder.yaml'))
    await rejectsWith('folder.yaml', 'folder.yaml: is a folder; expected a YAML file')
  })

  test('an unreadable file says permission denied', async () => {
    const file = write('secret.yaml', 'processes: []')
    chmodSync(join(dir, file), 0o000)
    await withoutRootPrivileges(() => rejectsWith(file, 'secret.yaml: cannot read the file (permission denied)'))
  })

  test('an empty file, a missing or empty list, or the wrong shape are clear errors', async () => {
    await rejectsWith(write('empty.yaml', ''), 'empty.yaml: expected a "processes:" list, got an empty file')
    await rejectsWith(
      write('comments.yaml', '# nothing yet'),
      'comments.yaml: expected a "processes:" list, got an empty file',
    )
    await rejectsWith(
      write('nolist.yaml', 'x-notes: hello'),
      'nolist.yaml:1:1 processes: missing; expected a list of processes',
    )
    await rejectsWith(
      write('emptylist.yaml', 'processes: []'),
      'emptylist.yaml:1:12 processes: expected at least one process, got an empty list',
    )
    await rejectsWith(
      write('nulllist.yaml', 'processes:'),
      'nulllist.yaml:1:1 processes: expected a list of processes, got nothing',
    )
    await rejectsWith(
      write('maplist.yaml', 'processes:', '  api: {script: a.js}'),
      'maplist.yaml:2:3 processes: expected a list of processes, got a map',
    )
    await rejectsWith(
      write('toplist.yaml', '- name: api'),
      'toplist.yaml:1:1: expected a map with a "processes:" list, got a list',
    )
    await rejectsWith(
      write('entry.yaml', 'processes:', '  - api', '  - name: ok', '    script: a.js'),
      'entry.yaml:2:5 processes[0]: expected a map of process settings, got "api"',
    )
  })

  test('every problem of the file is reported, in file order', async () => {
    const file = write(
      'many.yaml',
      'processes:',
      '  - name: api',
      '    script: server.js',
      '    kill_timeout: soon',
      '    restart_dely: 5s',
      '  - script: worker.js',
      '    max_restarts: lots',
      '  - name: api',
      '    script: again.js',
      '    max_log_size: 1',
    )
    const err = await rejectsWith(
      file,
      'many.yaml:4:19 processes[0].kill_timeout: expected milliseconds, got "soon"',
      'many.yaml:5:5 processes[0].restart_dely: unknown key; did you mean "restart_delay"?',
      'many.yaml:6:5 processes[1].name: missing; expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit',
      'many.yaml:7:19 processes[1].max_restarts: expected a whole number of 0 or more, got "lots"',
      'many.yaml:8:11 processes[2].name: duplicate name "api", already used by processes[0] on line 2',
      'many.yaml:10:19 processes[2].max_log_size: expected at least 1024 bytes ("1K"), got 1',
    )
    assert.deepEqual(
      err.problems.map((p) => [p.line, p.column, p.path]),
      [
        [4, 19, 'processes[0].kill_timeout'],
        [5, 5, 'processes[0].restart_dely'],
        [6, 5, 'processes[1].name'],
        [7, 19, 'processes[1].max_restarts'],
        [8, 11, 'processes[2].name'],
        [10, 19, 'processes[2].max_log_size'],
      ],
    )
  })

  test('the file is shown as the caller named it', async () => {
    write('nested/deeper/tspm.yaml', 'processes:', '  - name: api', '    script: a.js', '    autorestart: 1')
    await rejectsWith(
      'nested/deeper/tspm.yaml',
      'nested/deeper/tspm.yaml:4:18 processes[0].autorestart: expected true or false, got 1',
    )
    await rejectsWith(
      join(dir, 'nested/deeper/tspm.yaml'),
      `${join(dir, 'nested/deeper/tspm.yaml')}:4:18 processes[0].autorestart: expected true or false, got 1`,
    )
  })
})

describe('loadConfigFile results', () => {
  test('every default is applied', async () => {
    write('defaults/server.js', '')
    const file = write('defaults/tspm.yaml', 'processes:', '  - name: api', '    script: server.js')
    const [spec, ...rest] = await loadConfigFile(file)
    assert.equal(rest.length, 0)
    assert.deepEqual(spec, {
      name: 'api',
      script: join(dir, 'defaults/server.js'),
      args: [],
      cwd: join(dir, 'defaults'),
      interpreter: process.execPath,
      env: {},
      interpreter_args: [],
      autorestart: true,
      autostart: true,
      max_restarts: 16,
      min_uptime: 1000,
      restart_delay: 0,
      exp_backoff_restart_delay: 100,
      max_restart_delay: 15_000,
      backoff_reset: 30_000,
      kill_timeout: 1600,
      stop_signal: 'SIGTERM',
      stop_exit_codes: [],
      max_log_size: 10 * 1024 * 1024,
      log_files: 5,
      merge_logs: false,
      depends_on: [],
      instances: 1,
      listen: [],
      watch: [],
      ignore_watch: [],
      watch_delay: 1000,
      config_file: join(dir, 'defaults/tspm.yaml'),
    })
    // Same numbers as the shared defaults, and optional keys are absent rather than undefined.
    for (const [key, value] of Object.entries(PROCESS_DEFAULTS))
      assert.deepEqual(spec![key as keyof ProcessSpec], value, key)
    assert.ok(!('env_file' in spec!))
    // The returned list must not share the defaults' array.
    spec!.stop_exit_codes.push(1)
    assert.deepEqual(PROCESS_DEFAULTS.stop_exit_codes, [])
  })

  test('optional keys left empty take their defaults', async () => {
    const file = write(
      'emptykeys.yaml',
      'processes:',
      '  - name: api',
      '    script: run.sh',
      '    env:',
      '    # FOO: bar',
      '    args:',
      '    kill_timeout:',
    )
    const [spec] = await loadConfigFile(file)
    assert.deepEqual(spec!.env, {})
    assert.deepEqual(spec!.args, [])
    assert.equal(spec!.kill_timeout, 1600)
  })

  test('every key is read and converted', async () => {
    const file = write(
      'full.yaml',
      'processes:',
      '  - name: worker.v2_x-1',
      '    script: /opt/app/worker.sh',
      '    args: [--port, 8080, -v]',
      '    cwd: /opt/app',
      '    env: {A: b, PORT: 8000}',
      '    env_file: /etc/app.env',
      '    interpreter: /bin/bash',
      '    node_args: --max-old-space-size=100',
      '    autostart: false',
      '    instances: max',
      '    increment_var: PORT',
      '    listen: ["127.0.0.1:9000", 9001, "[::1]:9002", {address: ./web.sock, mode: "0600", name: admin}]',
      '    autorestart: false',
      '    max_restarts: 0',
      '    min_uptime: 2s',
      '    restart_delay: 250',
      '    exp_backoff_restart_delay: 100ms',
      '    max_restart_delay: 2m',
      '    backoff_reset: 1h',
      '    kill_timeout: 1.5s',
      '    stop_signal: int',
      '    stop_exit_codes: 0',
      '    max_log_size: 512k',
      '    log_files: 100',
      '    max_memory_restart: 1.5G',
      '    cron_restart: "0 */6 * * 1-5"',
      '    watch: [src, /etc/app]',
      '    ignore_watch: "*.tmp"',
      '    watch_delay: 2s',
    )
    const [spec] = await loadConfigFile(file)
    assert.deepEqual(spec, {
      name: 'worker.v2_x-1',
      script: '/opt/app/worker.sh',
      args: ['--port', '8080', '-v'],
      cwd: '/opt/app',
      interpreter: '/bin/bash',
      interpreter_args: ['--max-old-space-size=100'],
      env: {A: 'b', PORT: '8000'},
      env_file: '/etc/app.env',
      instances: 'max',
      increment_var: 'PORT',
      listen: [
        {kind: 'tcp', host: '127.0.0.1', port: 9000, name: 'worker.v2_x-1'},
        {kind: 'tcp', port: 9001, name: 'worker.v2_x-1'},
        {kind: 'tcp', host: '::1', port: 9002, name: 'worker.v2_x-1'},
        {kind: 'unix', path: join(dir, 'web.sock'), mode: 0o600, name: 'admin'},
      ],
      autorestart: false,
      autostart: false,
      max_restarts: 0,
      min_uptime: 2000,
      restart_delay: 250,
      exp_backoff_restart_delay: 100,
      max_restart_delay: 120_000,
      backoff_reset: 3_600_000,
      kill_timeout: 1500,
      stop_signal: 'SIGINT',
      stop_exit_codes: [0],
      max_log_size: 512 * 1024,
      log_files: 100,
      merge_logs: false,
      depends_on: [],
      max_memory_restart: 1.5 * 1024 ** 3,
      cron_restart: '0 */6 * * 1-5',
      watch: ['/opt/app/src', '/etc/app'],
      ignore_watch: ['*.tmp'],
      watch_delay: 2000,
      config_file: join(dir, 'full.yaml'),
    })
  })

  test('relative cwd, script, env_file and interpreter resolve against the config folder', async () => {
    write('proj/app/run.sh', '')
    write('proj/app/tool', '')
    const file = write(
      'proj/tspm.yaml',
      'processes:',
      '  - name: rel',
      '    cwd: app',
      '    script: run.sh', // exists in cwd: made absolute
      '    env_file: config/.env', // relative to the config folder, not to cwd
      '  - name: slash',
      '    cwd: ./app/../app',
      '    script: bin/start', // contains '/': made absolute even though it does not exist
      '    interpreter: ./venv/bin/python', // contains '/': against cwd
      '  - name: bare',
      '    script: python3', // not in cwd: stays a command name for PATH
      '    interpreter: node', // bare name stays bare
      '  - name: exists',
      '    cwd: app',
      '    script: tool',
      '    interpreter: none',
      '  - name: absolute',
      '    cwd: /srv',
      '    script: /usr/bin/env',
    )
    const specs = await loadConfigFile(file)
    const pick = ({name, script, cwd, interpreter, env_file}: (typeof specs)[number]) => ({
      name,
      script,
      cwd,
      interpreter,
      env_file,
    })
    assert.deepEqual(specs.map(pick), [
      {
        name: 'rel',
        script: join(dir, 'proj/app/run.sh'),
        cwd: join(dir, 'proj/app'),
        interpreter: 'bash',
        env_file: join(dir, 'proj/config/.env'),
      },
      {
        name: 'slash',
        script: join(dir, 'proj/app/bin/start'),
        cwd: join(dir, 'proj/app'),
        interpreter: join(dir, 'proj/app/venv/bin/python'),
        env_file: undefined,
      },
      {name: 'bare', script: 'python3', cwd: join(dir, 'proj'), interpreter: 'node', env_file: undefined},
      {
        name: 'exists',
        script: join(dir, 'proj/app/tool'),
        cwd: join(dir, 'proj/app'),
        interpreter: undefined,
        env_file: undefined,
      },
      {name: 'absolute', script: '/usr/bin/env', cwd: '/srv', interpreter: undefined, env_file: undefined},
    ])
    for (const spec of specs) assert.equal(spec.config_file, join(dir, 'proj/tspm.yaml'))
  })

  test('the interpreter defaults by the extension, as PM2 chooses it', async () => {
    const file = write(
      'interp.yaml',
      'processes:',
      '  - {name: js, script: a.js}',
      '  - {name: mjs, script: lib/b.mjs}',
      '  - {name: cjs, script: c.CJS}',
      '  - {name: sh, script: run.sh}',
      '  - {name: none, script: a.js, interpreter: none}',
      '  - {name: ts, script: a.ts}',
      '  - {name: py, script: a.py}',
      '  - {name: rb, script: a.rb}',
      '  - {name: pl, script: a.pl}',
      '  - {name: php, script: a.php}',
      '  - {name: bin, script: ./server}',
    )
    // A PATH of our own: bash and tsx are there (bun is not), so .sh gets bash and .ts gets tsx.
    const bin = join(dir, 'interp-bin')
    mkdirSync(bin, {recursive: true})
    for (const tool of ['bash', 'tsx']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\n')
      chmodSync(join(bin, tool), 0o755)
    }

    const {PATH} = process.env
    process.env.PATH = bin
    const specs = await loadConfigFile(file).finally(() => {
      process.env.PATH = PATH
    })
    assert.deepEqual(
      specs.map((s) => [s.name, s.interpreter]),
      [
        ['js', process.execPath],
        ['mjs', process.execPath],
        ['cjs', process.execPath],
        ['sh', 'bash'],
        ['none', undefined],
        ['ts', 'tsx'],
        ['py', 'python3'],
        ['rb', 'ruby'],
        ['pl', 'perl'],
        ['php', 'php'],
        ['bin', undefined],
      ],
    )
    assert.ok(!('interpreter' in specs[4]!), 'no interpreter key rather than an undefined one')
  })

  test('args given as a string are split into words, respecting quotes', async () => {
    const file = write(
      'args.yaml',
      'processes:',
      '  - name: a',
      '    script: a.js',
      `    args: --port 3000  --title 'hello world' --msg "say \\"hi\\"" --empty ''`,
      '  - name: b',
      '    script: b.js',
      '    args: [--ratio, 1.10, 8080, "two words"]',
    )
    const [a, b] = await loadConfigFile(file)
    assert.deepEqual(a!.args, ['--port', '3000', '--title', 'hello world', '--msg', 'say "hi"', '--empty', ''])
    // Numbers keep the text the user wrote.
    assert.deepEqual(b!.args, ['--ratio', '1.10', '8080', 'two words'])
  })

  test('unmatched quotes in an args string are an error', async () => {
    const file = write('quotes.yaml', 'processes:', '  - name: a', '    script: a.js', `    args: --title 'oops`)
    await rejectsWith(
      file,
      `quotes.yaml:4:11 processes[0].args: expected arguments with matching quotes, got "--title 'oops"`,
    )
  })

  test('env values become strings as written', async () => {
    const file = write(
      'env.yaml',
      'processes:',
      '  - name: a',
      '    script: a.js',
      '    env:',
      '      PORT: 3000',
      '      VERSION: 1.10',
      '      ZIP: 01234',
      '      DEBUG: true',
      '      NAME: plain text',
      '      QUOTED: "42"',
      '      EMPTY: ""',
    )
    const [spec] = await loadConfigFile(file)
    assert.deepEqual(spec!.env, {
      PORT: '3000',
      VERSION: '1.10',
      ZIP: '01234',
      DEBUG: 'true',
      NAME: 'plain text',
      QUOTED: '42',
      EMPTY: '',
    })
  })

  test('stop_signal accepts names with or without SIG', async () => {
    const file = write(
      'signals.yaml',
      'processes:',
      '  - {name: a, script: a.js, stop_signal: SIGHUP}',
      '  - {name: b, script: a.js, stop_signal: QUIT}',
      '  - {name: c, script: a.js, stop_signal: usr2}',
      '  - {name: d, script: a.js, stop_exit_codes: [0, 143]}',
    )
    const specs = await loadConfigFile(file)
    assert.deepEqual(
      specs.map((s) => s.stop_signal),
      ['SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGTERM'],
    )
    assert.deepEqual(specs[3]!.stop_exit_codes, [0, 143])
  })

  test('top-level x- keys hold anchors that processes can merge', async () => {
    const file = write(
      'anchors.yaml',
      'x-defaults: &defaults',
      '  autorestart: false',
      '  kill_timeout: 10s',
      'processes:',
      '  - <<: *defaults',
      '    name: a',
      '    script: a.js',
      '  - <<: *defaults',
      '    name: b',
      '    script: b.js',
      '    kill_timeout: 1s',
    )
    const specs = await loadConfigFile(file)
    assert.deepEqual(
      specs.map((s) => [s.name, s.autorestart, s.kill_timeout]),
      [
        ['a', false, 10_000],
        ['b', false, 1000],
      ],
    )
  })
})

describe('specForScript', () => {
  test('names the process after the script and applies every default', () => {
    write('cli/server.mjs', '')
    const spec = specForScript('server.mjs', {cwd: join(dir, 'cli')})
    assert.deepEqual(spec, {
      name: 'server',
      script: join(dir, 'cli/server.mjs'),
      cwd: join(dir, 'cli'),
      interpreter: process.execPath,
      ...PROCESS_DEFAULTS,
    })
    assert.ok(!('config_file' in spec))
  })

  test('uses --name, args and interpreter as given', () => {
    const spec = specForScript('./bin/worker.py', {
      name: 'jobs',
      args: ['--once', 'a b'],
      cwd: '/srv/app',
      interpreter: 'python3',
    })
    assert.equal(spec.name, 'jobs')
    assert.equal(spec.script, '/srv/app/bin/worker.py')
    assert.deepEqual(spec.args, ['--once', 'a b'])
    assert.equal(spec.interpreter, 'python3')
    assert.equal(specForScript('run.sh', {cwd: '/srv', interpreter: './bin/sh'}).interpreter, '/srv/bin/sh')
    assert.equal(specForScript('app.js', {cwd: '/srv', interpreter: 'none'}).interpreter, undefined)
    assert.equal(specForScript('run.sh', {cwd: '/srv'}).interpreter, 'bash')
  })

  test('a bare command stays a command name', () => {
    const spec = specForScript('redis-server', {cwd: '/srv', args: ['--port', '7000']})
    assert.equal(spec.name, 'redis-server')
    assert.equal(spec.script, 'redis-server')
  })

  test('the derived name is made safe', () => {
    assert.equal(specForScript('/srv/My Server (v2).js', {cwd: '/'}).name, 'My-Server-v2')
    assert.equal(specForScript('/srv/app.worker.ts', {cwd: '/'}).name, 'app.worker')
  })

  test('a bad --name or an unusable script name is a ConfigError naming the culprit', () => {
    assert.throws(
      () => specForScript('app.js', {name: 'my app', cwd: '/srv'}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.equal(
          err.message,
          '--name: expected a name of up to 200 letters, digits, ".", "_" or "-", starting with a letter or digit, got "my app"',
        )
        assert.equal(err.problems[0]!.file, '--name')
        return true
      },
    )
    assert.throws(() => specForScript('/srv/@@@.js', {cwd: '/srv'}), {
      name: 'ConfigError',
      message: '/srv/@@@.js: cannot make a process name from the script name; pass --name NAME',
    })
    assert.throws(() => specForScript('', {cwd: '/srv'}), {
      message: 'SCRIPT: expected the path of a script or a command to run, got ""',
    })
  })
})

describe('parseDuration and parseSize', () => {
  test('durations', () => {
    assert.equal(parseDuration(0), 0)
    assert.equal(parseDuration(1600), 1600)
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('5s'), 5000)
    assert.equal(parseDuration('2m'), 120_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration('250'), 250)
    assert.equal(parseDuration(' 10 S '), 10_000)
    assert.throws(() => parseDuration('soon'), {name: 'RangeError', message: 'expected milliseconds, got "soon"'})
    assert.throws(() => parseDuration(-1), {message: 'expected milliseconds, got -1'})
    assert.throws(() => parseDuration(1.5), {message: 'expected milliseconds, got 1.5'})
    assert.throws(() => parseDuration('5d'), {message: 'expected milliseconds, got "5d"'})
    assert.throws(() => parseDuration('-5s'), {message: 'expected milliseconds, got "-5s"'})
    assert.throws(() => parseDuration('1000h'), {
      message: 'expected at most 2147483647 ms (about 24 days), got "1000h"',
    })
  })

  test('sizes', () => {
    assert.equal(parseSize(2048), 2048)
    assert.equal(parseSize('2048'), 2048)
    assert.equal(parseSize('512K'), 512 * 1024)
    assert.equal(parseSize('512kb'), 512 * 1024)
    assert.equal(parseSize('10M'), 10 * 1024 * 1024)
    assert.equal(parseSize('10MB'), 10 * 1024 * 1024)
    assert.equal(parseSize('10mib'), 10 * 1024 * 1024)
    assert.equal(parseSize('1G'), 1024 ** 3)
    assert.equal(parseSize('1.5k'), 1536)
    assert.equal(parseSize('100b'), 100)
    assert.throws(() => parseSize('huge'), {
      name: 'RangeError',
      message: 'expected bytes or a size like "10M", got "huge"',
    })
    assert.throws(() => parseSize(-1), {message: 'expected bytes or a size like "10M", got -1'})
    assert.throws(() => parseSize('10X'), {message: 'expected bytes or a size like "10M", got "10X"'})
  })

  test('splitArgs', () => {
    assert.deepEqual(splitArgs(''), [])
    assert.deepEqual(splitArgs('  a   b  '), ['a', 'b'])
    assert.deepEqual(splitArgs(`--name='a b'c "d \\\\ e" f\\ g`), ['--name=a bc', String.raw`d \ e`, 'f g'])
    assert.deepEqual(splitArgs(`$HOME *.js`), ['$HOME', '*.js'])
    assert.throws(() => splitArgs('"open'), {
      message: String.raw`expected arguments with matching quotes, got "\"open"`,
    })
  })
})

describe('PM2 config files, as PM2 users have them', () => {
  const ecosystem = [
    'module.exports = {',
    '  apps: [',
    '    {',
    "      name: 'api',",
    "      script: 'server.js',",
    "      node_args: '--max-old-space-size=256',",
    '      env: {GREETING: "hello", PORT: 3000},',
    '      env_production: {GREETING: "bonjour", NODE_ENV: "production"},',
    "      out_file: './logs/api.log',",
    "      max_memory_restart: '200M',",
    '      vizion: false,',
    '      pmx: true,',
    '      restart_delay: 2000,',
    '    },',
    "    {name: 'worker', script: 'npm run work', autostart: false, instances: 0, port: 4000},",
    '  ],',
    "  deploy: {production: {user: 'node'}},",
    '}',
  ]

  test('an ecosystem.config.js: apps, --env, node_args, autostart, port; ignored keys named in one warning', async () => {
    const file = write('pm2/ecosystem.config.js', ...ecosystem)
    write('pm2/server.js', '')
    const warnings: string[] = []
    const [api, worker] = await loadConfigFile(file, {env: 'production', warn: (message) => warnings.push(message)})
    assert.deepEqual(api!.env, {GREETING: 'bonjour', PORT: '3000', NODE_ENV: 'production'})
    assert.deepEqual(api!.interpreter_args, ['--max-old-space-size=256'])
    assert.equal(api!.out_file, join(dir, 'pm2/logs/api.log'))
    assert.equal(api!.script, join(dir, 'pm2/server.js'))
    // PM2's restart_delay is a fixed delay: no backoff on top of it.
    assert.deepEqual([api!.restart_delay, api!.exp_backoff_restart_delay], [2000, 0])
    assert.deepEqual(
      [worker!.script, worker!.args, worker!.autostart, worker!.instances],
      ['npm', ['run', 'work'], false, 'max'],
    )
    assert.deepEqual(worker!.env, {PORT: '4000'})
    assert.deepEqual(warnings, [
      'pm2/ecosystem.config.js: ignored PM2 keys that mean nothing to tspm: vizion (api), pmx (api) (--strict makes this an error)',
    ])
    // PM2's max_memory_restart is tspm's too.
    assert.equal(api!.max_memory_restart, 200 * 1024 * 1024)

    // Without --env, env alone; an --env that no process has is said.
    const plain = await loadConfigFile(file, {env: 'staging', warn: (message) => warnings.push(message)})
    assert.deepEqual(plain[0]!.env, {GREETING: 'hello', PORT: '3000'})
    assert.equal(
      warnings.at(-1),
      'pm2/ecosystem.config.js: no process has env_staging, so --env staging changed nothing',
    )
  })

  test('--strict refuses the ignored keys; a JS config names the file and the field path', async () => {
    const file = write('strict/ecosystem.config.js', ...ecosystem)
    await assert.rejects(loadConfigFile(file, {strict: true}), {
      message: [
        'strict/ecosystem.config.js apps[0].vizion: a PM2 key that means nothing to tspm; remove it, or leave out --strict to have it ignored with a warning',
        'strict/ecosystem.config.js apps[0].pmx: a PM2 key that means nothing to tspm; remove it, or leave out --strict to have it ignored with a warning',
      ].join('\n'),
    })

    const bad = write(
      'bad/app.config.cjs',
      'module.exports = {apps: [{name: "api", script: "x.js", kill_timeout: "soon", scirpt: 1}]}',
    )
    await assert.rejects(loadConfigFile(bad), {
      message: [
        'bad/app.config.cjs apps[0].kill_timeout: expected milliseconds, got "soon"',
        'bad/app.config.cjs apps[0].scirpt: unknown key; did you mean "script"?',
      ].join('\n'),
    })
    const broken = write('broken/ecosystem.config.js', 'module.exports = {apps: [')
    await assert.rejects(loadConfigFile(broken), {
      message: /^broken\/ecosystem\.config\.js: cannot load this JavaScript config: Unexpected end of input/,
    })
  })

  test('a .json file is read as JSON.parse reads it; its problems and written numbers keep their places', async () => {
    const numbers = write(
      'json/numbers.json',
      '{"apps": [',
      '  {"name": "n", "script": "a.js", "args": [1.10, "x"], "env": {"VERSION": 1.10, "ZIP": 1e3}, "env_prod": {"PORT": 080}},',
      '  {"name": "m", "script": "a.js", "env": {"A": "1"}}',
      ']}',
    )
    // 080 is no JSON number: the YAML parser reads that file, as before.
    const [n] = await loadConfigFile(numbers, {env: 'prod', warn() {}})
    assert.deepEqual([n!.args, n!.env], [['1.10', 'x'], {VERSION: '1.10', ZIP: '1e3', PORT: '080'}])
    const json = write(
      'json/written.json',
      '{"apps": [{"name": "w", "script": "a.js", "args": [2.50], "env": {"VERSION": 1.10}}]}',
    )
    const [w] = await loadConfigFile(json, {warn() {}})
    assert.deepEqual([w!.args, w!.env], [['2.50'], {VERSION: '1.10'}])
    // As in PM2 (and JSON.parse), a key given twice takes its last value.
    const twice = write(
      'json/twice.json',
      '{"apps": [{"name": "t", "script": "a.js", "kill_timeout": 1, "kill_timeout": 2}]}',
    )
    assert.equal((await loadConfigFile(twice, {warn() {}}))[0]!.kill_timeout, 2)
    await rejectsWith(
      write(
        'json/names.json',
        '{"apps": [',
        '  {"name": "api", "script": "a.js"},',
        '  {"name": "api", "script": "b.js", "depends_on": ["nope"]}',
        ']}',
      ),
      'json/names.json:3:12 apps[1].name: duplicate name "api", already used by apps[0] on line 2',
      'json/names.json:3:52 apps[1].depends_on[0]: no process named "nope" in this file (depends_on names processes of the same file; known: api)',
    )
    await rejectsWith(
      write('json/broken.json', '{"apps": [', '  {"name": "b", "script": "a.js"', ']}'),
      'json/broken.json:3:1: flow map in block collection must be sufficiently indented and end with a }',
      'json/broken.json:3:1: flow sequence in block collection must be sufficiently indented and end with a ]',
      'json/broken.json:3:2: flow map must end with a }',
    )
  })

  test('export default, a function returning the config, JSON, and YAML with apps:', async () => {
    const mjs = write('esm/ecosystem.config.mjs', 'export default () => ({apps: [{name: "esm", script: "a.js"}]})')
    assert.deepEqual(
      (await loadConfigFile(mjs)).map((spec) => spec.name),
      ['esm'],
    )
    const json = write(
      'json/pm2.json',
      '{"apps": [{"name": "j", "script": "a.js", "instances": 2, "exec_mode": "cluster"}]}',
    )
    const [fromJson] = await loadConfigFile(json, {warn() {}})
    assert.deepEqual([fromJson!.name, fromJson!.instances], ['j', 2])
    await rejectsWith(
      write('json/bad.json', '{"apps": [', '  {"name": "j", "script": "a.js", "kill_timeout": "soon"}', ']}'),
      'json/bad.json:2:51 apps[0].kill_timeout: expected milliseconds, got "soon"',
    )
    const yaml = write('yaml/apps.yaml', 'apps:', '  - name: y', '    script: a.js')
    assert.deepEqual(
      (await loadConfigFile(yaml)).map((spec) => spec.name),
      ['y'],
    )
  })
})
