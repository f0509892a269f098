import type {TestContext} from 'node:test'

import {spawnSync} from 'node:child_process'

import {needs} from './needs.js'
import {waitFor} from './wait.js'

let panes = 0

/**
 * A real terminal for interactive views: a shell in a tmux pane of a fixed size, on a tmux server
 * of its own (so the test's environment is the pane's, and ending it touches no other tmux). type()
 * and keys() are what a user presses; screen() is what the pane shows, as capture-pane reads it.
 */
export class TmuxPane {
  private constructor(private readonly server: string) {}

  /** A shell in a new pane, or undefined when the test is skipped for want of tmux; ended when the test ends. */
  static open(t: TestContext, options: {columns: number; rows: number; env: NodeJS.ProcessEnv}): TmuxPane | undefined {
    if (!needs(t, spawnSync('tmux', ['-V']).status === 0, 'tmux runs the view on a real terminal')) return undefined
    const pane = new TmuxPane(`tspm-test-${process.pid}-${++panes}`)
    const env: NodeJS.ProcessEnv = {...process.env, ...options.env}
    delete env.NODE_EXTRA_CA_CERTS
    delete env.TMUX
    // -f /dev/null: no user's tmux.conf; `sh`, the same shell everywhere.
    const started = spawnSync(
      'tmux',
      [
        ...pane.serverArgs(),
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        'test',
        '-x',
        String(options.columns),
        '-y',
        String(options.rows),
        'sh',
      ],
      {env, encoding: 'utf8'},
    )
    if (started.status !== 0) throw new Error(`tmux did not start: ${started.stderr}`)
    t.after(() => pane.tmux('kill-server'))
    return pane
  }

  /** Resolves once the shell shows its prompt: what is typed before would come out before it. */
  async ready(): Promise<void> {
    await waitFor(() => this.screen().trim() !== '', {what: 'the shell prompt in the pane'})
  }

  /** The visible lines of the pane, without trailing blanks. */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'test').replaceAll(/ +$/gm, '')
  }

  /** The pane's text as one line of words: for a message the terminal may have wrapped anywhere. */
  words(): string {
    return this.screen().replaceAll(/\s+/g, ' ')
  }

  /** The terminal's modes as tmux sees them: the alternate screen is on, the cursor shown, lines wrap. */
  modes(): {alternateScreen: boolean; cursor: boolean; wrap: boolean} {
    const [alternate, cursor, wrap] = this.tmux(
      'display-message',
      '-p',
      '-t',
      'test',
      '#{alternate_on} #{cursor_flag} #{wrap_flag}',
    )
      .trim()
      .split(' ')
    return {alternateScreen: alternate === '1', cursor: cursor === '1', wrap: wrap === '1'}
  }

  /** Resizes the terminal, as a user resizing the window does (the program gets SIGWINCH). */
  resize(columns: number, rows: number): void {
    this.tmux('resize-window', '-t', 'test', '-x', String(columns), '-y', String(rows))
  }

  /** Types `text` as it is (no key names), then Enter when asked. */
  type(text: string, options: {enter?: boolean} = {}): void {
    this.tmux('send-keys', '-t', 'test', '-l', text)
    if (options.enter) this.keys('Enter')
  }

  /** Presses keys by tmux's names: `Down`, `C-c`, `q`. */
  keys(...names: string[]): void {
    this.tmux('send-keys', '-t', 'test', ...names)
  }

  private serverArgs(): string[] {
    return ['-L', this.server]
  }

  private tmux(...args: string[]): string {
    return spawnSync('tmux', [...this.serverArgs(), ...args], {encoding: 'utf8'}).stdout
  }
}
