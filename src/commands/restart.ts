import {ProcessActionCommand} from '../cli/process-action-command.js'

export default class Restart extends ProcessActionCommand {
  static override summary = 'Restart a process (or all): stop it gracefully, then start it again.'
  static override description = `Stops the process as \`tspm stop\` does, then starts it with a clean restart policy (its backoff and its count of unstable runs start over). A process that ended errored is brought back this way. An env_file is read again.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Restart every process.', command: '<%= config.bin %> <%= command.id %> all'},
  ]
  protected readonly action = 'restart'
}
