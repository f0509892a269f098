import {waitFlag} from '../cli/flags.js'
import {ProcessActionCommand} from '../cli/process-action-command.js'

export default class Restart extends ProcessActionCommand {
  static override summary = 'Restart a process (or all): stop it gracefully, then start it again.'
  static override description = `Stops the process as \`tspm stop\` does, then starts it with a clean restart policy (its backoff and its count of unstable runs start over). A process that ended errored is brought back this way. An env_file is read again. Like \`tspm start\`, it waits until each process is online again (its ready check passed) or has failed, and exits 1 naming those that did not come online; --no-wait returns once they are started. Restarting all stops dependents first and starts them after what they depend on.`
  static override flags = {wait: waitFlag}
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Restart every process.', command: '<%= config.bin %> <%= command.id %> all'},
  ]
  protected readonly action = 'restart'
}
