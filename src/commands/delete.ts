import {ProcessActionCommand} from '../cli/process-action-command.js'

export default class Delete extends ProcessActionCommand {
  static override summary = 'Stop a process (or all) and remove it from the list.'
  static override description = `Stops the process as \`tspm stop\` does and forgets it. Its log files stay in $TSPM_HOME/logs. The saved list (dump.json) changes only at the next \`tspm save\`. \`tspm del\` and \`tspm rm\` are the same command.`
  static override hiddenAliases = ['del', 'rm']
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Remove every process.', command: '<%= config.bin %> <%= command.id %> all'},
  ]
  protected readonly action = 'delete'
}
