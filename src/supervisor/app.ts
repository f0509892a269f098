import {availableParallelism} from 'node:os'

import type {DesiredState, ProcessStatus, ReloadResult, RestartReason} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {ListenFds, ManagedProcess} from './managed-process.js'

import {describeListen} from '../model/listen.js'
import {ListenSockets} from './listen-sockets.js'

export interface AppDeps {
  /**
   * A new, not yet started, process for instance `instance` of the app, with `number` if it is
   * free in this home (a saved one), else the next free one.
   */
  createInstance(
    spec: ProcessSpec,
    instance: number,
    listenSockets: () => ListenFds | undefined,
    number?: number,
  ): ManagedProcess
  log(message: string): void
  onChange(): void
}

/** How many instances a spec asks for now: `max` is one per core of this machine. */
function instanceCount(spec: ProcessSpec): number {
  return spec.instances === 'max' ? availableParallelism() : spec.instances
}

/**
 * The spec instance `instance` runs: with increment_var, that variable is the instance 0 value
 * plus the instance number, and so is any tcp or http check on that port (a check of its own).
 */
export function instanceSpec(spec: ProcessSpec, instance: number): ProcessSpec {
  if (spec.increment_var === undefined || instance === 0) return spec
  const base = Number(spec.env[spec.increment_var])
  const shift = <Check extends ProcessSpec['health'] | ProcessSpec['ready']>(check: Check): Check => {
    if (check?.kind === 'tcp' && check.port === base) return {...check, port: base + instance}
    if (check?.kind === 'http') {
      const url = new URL(check.url)
      if (Number(url.port) === base) {
        url.port = String(base + instance)
        return {...check, url: url.href}
      }
    }

    return check
  }

  const shifted: ProcessSpec = {
    ...spec,
    env: {...spec.env, [spec.increment_var]: String(base + instance)},
  }
  if (spec.ready) shifted.ready = shift(spec.ready)
  if (spec.health) shifted.health = shift(spec.health)
  return shifted
}

const sameListen = (a: ProcessSpec, b: ProcessSpec) => JSON.stringify(a.listen) === JSON.stringify(b.listen)

/**
 * One configured app: its instances (one ManagedProcess each, numbered from 0, each restarted on
 * its own with its own backoff) and the listening sockets they share. The supervisor's table is
 * made of these; start, stop and the dependency gate act on the whole app.
 */
export class App {
  private members: ManagedProcess[] = []
  /** New instances of a reload until they are ready, and old ones while they stop. */
  private readonly passing = new Set<ManagedProcess>()
  private sockets: ListenSockets | undefined
  private opening: Promise<void> | undefined
  /** Why the sockets could not be opened, for the start that follows. */
  private socketError: string | undefined
  private reloading = false
  /** The numbers a resurrect asks the instances to keep. */
  private savedNumbers: readonly number[] = []

  constructor(
    public spec: ProcessSpec,
    private readonly deps: AppDeps,
  ) {}

  get name(): string {
    return this.spec.name
  }

  get instances(): readonly ManagedProcess[] {
    return this.members
  }

  /** Every process of the app, for the table: its instances, and those a reload starts or stops. */
  get processes(): ManagedProcess[] {
    return [...this.members, ...this.passing]
  }

  get isActive(): boolean {
    return this.members.some((member) => member.isActive)
  }

  /** One status for depends_on: online once every instance is. */
  get status(): ProcessStatus {
    const statuses = this.members.map((member) => member.status)
    if (statuses.length === 0) return 'stopped'
    if (statuses.every((status) => status === 'online')) return 'online'
    for (const status of ['waiting', 'errored', 'starting', 'queued', 'waiting-restart', 'stopping'] as const) {
      if (statuses.includes(status)) return status
    }

    return statuses.includes('online') ? 'starting' : 'stopped'
  }

  /** Whether the latest start of any instance failed (its dependents then say so). */
  get startFailed(): boolean {
    return this.members.some((member) => member.snapshot().start.outcome === 'failed')
  }

  get desired(): DesiredState {
    return this.members.some((member) => member.desired === 'online') ? 'online' : 'stopped'
  }

  /** Instance `number`, or undefined. */
  instance(number: number): ManagedProcess | undefined {
    return this.members[number]
  }

  /**
   * Takes a (new) definition; a stopped app gets as many instances as it asks for, shown stopped.
   * `numbers`: the ones its instances had when it was saved.
   */
  define(spec: ProcessSpec, numbers: readonly number[] = []): void {
    this.spec = spec
    this.savedNumbers = numbers
    this.resize()
  }

  /** The numbers of its instances, for `save`. */
  get numbers(): number[] {
    return this.members.map((member) => member.number)
  }

  /** Starts every instance (opening the sockets first); instances that run are left as they are. */
  start(spec: ProcessSpec = this.spec): void {
    this.define(spec)
    if (this.opening) return
    if (!this.socketsReady()) return
    for (const [number, member] of this.members.entries()) member.start(instanceSpec(spec, number))
  }

  /** Asked to start, but waiting for its dependencies: `detail` says on what. */
  wait(detail: string, spec: ProcessSpec = this.spec): void {
    this.define(spec)
    for (const [number, member] of this.members.entries()) member.wait(detail, instanceSpec(spec, number))
  }

  waitingOn(detail: string, failed: boolean): void {
    for (const member of this.members) member.waitingOn(detail, failed)
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((member) => member.stop()))
    this.closeSockets()
  }

  /**
   * Every instance stopped, then `relaunch` (the supervisor's dependency gate) starts the app
   * again: called by each instance's restart as soon as it has stopped, within that restart, so
   * no other operation comes between the stop and the start.
   */
  async restart(reason: RestartReason, relaunch: () => void): Promise<void> {
    await Promise.all(this.members.map((member) => member.restart(reason, relaunch)))
  }

  /** Stops everything for good (the supervisor's shutdown, or a delete). */
  async halt(): Promise<void> {
    await Promise.all(this.processes.map((member) => member.halt()))
    this.closeSockets()
  }

  dispose(): void {
    for (const member of this.processes) member.dispose()
    this.closeSockets()
  }

  /** After one instance was stopped by hand: with none left running, the sockets are let go. */
  releaseIfIdle(): void {
    if (!this.isActive) this.closeSockets()
  }

  /** Starts or stops instances (the highest numbers first) until `count` run; `save` keeps the number. */
  async scale(count: number): Promise<string[]> {
    if (!this.isActive) {
      this.define({...this.spec, instances: count})
      return []
    }

    this.spec = {...this.spec, instances: count}

    const extra = this.members.slice(count).reverse()
    this.members = this.members.slice(0, count)
    for (const member of extra) this.passing.add(member)
    for (const member of extra) {
      await member.halt()
      member.dispose()
      this.passing.delete(member)
    }

    const before = this.members.length
    this.resize()
    const started = this.members.slice(before)
    if (this.socketsReady()) {
      for (const member of started) member.start(instanceSpec(this.spec, member.instance))
    }

    this.deps.onChange()
    return [...extra, ...started].map((member) => member.id)
  }

  /**
   * Replaces the instances one by one with new ones of `spec`: each new one must be ready (its
   * ready check; without one, still running after min_uptime) before the old one is stopped, so
   * the app serves throughout. A new one that fails is stopped and the old one keeps serving.
   * Without `listen` the instances bind their ports themselves, so old and new cannot overlap:
   * each is restarted in turn instead, and the result says so.
   */
  async reload(spec: ProcessSpec = this.spec, only?: number): Promise<ReloadResult> {
    const {name} = this
    if (this.reloading) return {name, outcome: 'failed', message: `${name} is being reloaded already`}
    if (!this.isActive) {
      this.start(spec)
      return {name, outcome: 'started', message: `${name} was not running: started`}
    }

    this.reloading = true
    try {
      const overlap = spec.listen.length > 0 && this.sockets !== undefined && sameListen(spec, this.spec)
      if (!overlap && !sameListen(spec, this.spec)) {
        await this.restart('reload', () => {})
        this.closeSockets()
        this.start(spec)
        return {name, outcome: 'restarted', message: `${name}: its listen addresses changed, so it was restarted`}
      }

      const previous = this.spec
      this.spec = spec
      const numbers = only === undefined ? this.members.map((member) => member.instance) : [only]
      const rollCount = Math.min(numbers.length, instanceCount(spec))
      for (const [done, number] of numbers.slice(0, rollCount).entries()) {
        const failure = overlap ? await this.replace(number) : await this.restartInstance(number)
        if (failure) {
          // Nothing rolled over: the app keeps the definition it runs (what `save` would write).
          if (done === 0) this.spec = previous
          const left = numbers.slice(done).map((n) => this.members[n]!.id)
          return {
            name,
            outcome: 'failed',
            message: `${failure}; ${overlap ? `${left.join(', ')} keep${left.length === 1 ? 's' : ''} serving with the old definition` : 'the instances after it were not reloaded'}`,
          }
        }
      }

      if (only === undefined && instanceCount(spec) !== this.members.length) await this.scale(instanceCount(spec))
      if (overlap) return {name, outcome: 'reloaded', message: `reloaded ${name} without downtime`}
      const single = this.members.length === 1
      return {
        name,
        outcome: single ? 'restarted' : 'reloaded',
        message: single
          ? `${name} was restarted: without listen it binds its port itself, so a new run cannot overlap the old one (add listen: for a reload without downtime)`
          : `reloaded ${name}, restarting its instances one at a time (without listen, each was down while it restarted)`,
      }
    } finally {
      this.reloading = false
    }
  }

  /** A new instance `number` next to the old one; the old one stops once the new one is ready. */
  private async replace(number: number): Promise<string | undefined> {
    const old = this.members[number]!
    const fresh = this.deps.createInstance(instanceSpec(this.spec, number), number, () => this.socketFds())
    fresh.id = old.id
    fresh.takeOver(old)
    this.passing.add(fresh)
    fresh.start(instanceSpec(this.spec, number))
    const failure = await this.untilServing(fresh)
    if (failure) {
      await fresh.halt()
      fresh.dispose()
      this.passing.delete(fresh)
      this.deps.onChange()
      return `${fresh.id}: the new instance did not become ready (${failure}); it was stopped`
    }

    this.members[number] = fresh
    this.passing.delete(fresh)
    this.passing.add(old)
    this.deps.onChange()
    await old.halt()
    old.dispose()
    this.passing.delete(old)
    this.deps.onChange()
    return undefined
  }

  /** Without sockets to share: instance `number` stopped, then started with the new spec. */
  private async restartInstance(number: number): Promise<string | undefined> {
    const member = this.members[number]!
    await member.restart('reload', () => member.start(instanceSpec(this.spec, number)))
    const failure = await this.untilServing(member)
    return failure && `${member.id}: it did not become ready after its restart (${failure})`
  }

  /** Why `member` is not serving: undefined once it is ready and, without a ready check, has stayed up min_uptime. */
  private async untilServing(member: ManagedProcess): Promise<string | undefined> {
    if (!(await member.settled())) return member.snapshot().start.message ?? 'it failed to start'
    if (member.spec.ready) return undefined
    const pid = member.runningPid
    await new Promise((resolve) => {
      setTimeout(resolve, member.spec.min_uptime)
    })
    if (member.status === 'online' && member.runningPid === pid) return undefined
    return `it did not stay up for min_uptime (${member.spec.min_uptime} ms)${member.snapshot().last_error ? `: ${member.snapshot().last_error}` : ''}`
  }

  /** As many instances as the spec asks for, each named for commands. */
  private resize(): void {
    const count = instanceCount(this.spec)
    if (!this.isActive && this.members.length > count) {
      for (const member of this.members.slice(count)) member.dispose()
      this.members = this.members.slice(0, count)
    }

    while (this.members.length < count) {
      const number = this.members.length
      this.members.push(
        this.deps.createInstance(
          instanceSpec(this.spec, number),
          number,
          () => this.socketFds(),
          this.savedNumbers[number],
        ),
      )
    }

    for (const member of [...this.members, ...this.passing]) {
      member.id = this.members.length > 1 ? `${this.name}:${member.instance}` : this.name
    }
  }

  /**
   * Opens the app's listen sockets, if it has any and they are not open: `start` and `resurrect`
   * bind every app's sockets before they start anything, so a client (or a dependent) that
   * connects early waits in the queue even for an app that waits for its dependencies. A failure
   * is kept for the start that follows.
   */
  openSockets(): Promise<void> {
    if (this.spec.listen.length === 0 || this.sockets) return Promise.resolve()
    const addresses = this.spec.listen
    this.opening ??= ListenSockets.open(addresses)
      .then(
        (sockets) => {
          this.sockets = sockets
          this.socketError = undefined
          this.deps.log(`${this.name}: listening on ${addresses.map((address) => describeListen(address)).join(', ')}`)
        },
        (error: Error) => {
          this.socketError = `${this.name}: ${error.message}`
        },
      )
      .finally(() => {
        this.opening = undefined
      })
    return this.opening
  }

  /**
   * True when the instances may start: the app has no listen, or its sockets are open. Otherwise
   * they wait while the sockets open, then start (or fail, saying why the address is refused).
   */
  private socketsReady(): boolean {
    if (this.spec.listen.length === 0 || this.sockets) return true
    if (this.socketError !== undefined) {
      const error = this.socketError
      this.socketError = undefined
      for (const member of this.members) member.failStart(error)
      return false
    }

    for (const [number, member] of this.members.entries()) {
      member.wait('opening its listen sockets', instanceSpec(this.spec, number))
    }

    this.openSockets()
      .then(() => {
        // Stopped meanwhile: the sockets go again; otherwise the instances still waiting start.
        if (!this.isActive) this.closeSockets()
        else if (this.members.some((member) => member.status === 'waiting')) this.start(this.spec)
      })
      .catch(() => {})
    return false
  }

  private socketFds(): ListenFds | undefined {
    return this.sockets && {fds: this.sockets.fds, names: this.sockets.names}
  }

  private closeSockets(): void {
    this.sockets?.close()
    this.sockets = undefined
  }
}
