import {ProcessActionCommand} from '../cli/process-action-command.js'

export default class Stop extends ProcessActionCommand {
  static override summary = 'Stop a process (or all), keeping it in the list.'
  static override description = `Sends the process's stop_signal (SIGTERM by default) to its whole process group, waits up to kill_timeout for every process of the group to leave, then sends SIGKILL to what remains. The process stays in the list as stopped; \`tspm save\` records it as stopped.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Stop every process.', command: '<%= config.bin %> <%= command.id %> all'},
  ]
  protected readonly action = 'stop'
}
