import {Args, Flags} from '@oclif/core'

import type {ReloadResponse} from '../model/api.js'

import {TspmCommand} from '../cli/base-command.js'

export default class Reload extends TspmCommand {
  static override summary =
    'Replace the instances of an app one by one, without downtime: each new one is ready before the old one stops.'
  static override description = `For each instance in turn, starts a new one, waits until it is ready (its ready check passed; without one, until it has run for min_uptime), then stops the old one gracefully. With listen:, tspm holds the sockets, so old and new instances overlap and no connection is refused. A new instance that does not become ready is stopped, the old one keeps serving, and the command exits 1 saying so.

Without listen:, an app binds its port itself, so a new run cannot overlap the old one: an app of one instance is restarted (and the command says so), an app of several is restarted one instance at a time. With -c FILE, the apps of that file take their definitions from it: an edited config is applied this way.`
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({description: 'Name of the app, one of its instances (web:2), or "all".', required: true}),
  }
  static override flags = {
    config: Flags.string({char: 'c', summary: 'Config file to take the new definitions from.'}),
    env: Flags.string({
      summary: "With -c: the environment of a PM2 config to use (each process's env_NAME over its env).",
      helpValue: 'NAME',
      dependsOn: ['config'],
    }),
    strict: Flags.boolean({summary: 'With -c: refuse PM2 keys that tspm ignores.', dependsOn: ['config']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {
      description: 'Apply an edited config to every app of it.',
      command: '<%= config.bin %> <%= command.id %> all -c tspm.yaml',
    },
  ]

  async run(): Promise<ReloadResponse> {
    const {args, flags} = await this.parse(Reload)
    const {reloadProcesses} = await import('../services/reload.js')
    return reloadProcesses(
      this.paths,
      {target: args.name, config: flags.config, env: flags.env, strict: flags.strict},
      this.output,
    )
  }
}
