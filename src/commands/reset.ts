import {ProcessActionCommand} from '../cli/process-action-command.js'

export default class Reset extends ProcessActionCommand {
  static override summary = "Set a process's restart counters back to 0 (or of all)."
  static override description = `The count of restarts that \`tspm list\` shows goes back to 0, and so does the count of unstable runs behind the backoff and max_restarts. The process keeps running; its metrics' restart totals (GET /v1/metrics) keep counting, as Prometheus counters do.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Every process.', command: '<%= config.bin %> <%= command.id %> all'},
  ]
  protected readonly action = 'reset'
}
