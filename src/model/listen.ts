/** How a listen address reads in messages; shared by config checks and the supervisor (no zod here). */
export function describeListen(entry: {host?: string; kind: 'tcp' | 'unix'; path?: string; port?: number}): string {
  if (entry.kind === 'unix') return entry.path!
  if (entry.host === undefined) return `port ${entry.port}`
  return `${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port}`
}

/** Where Prometheus scrapes a supervisor's metrics listener (MetricsSettings.listen). */
export function metricsUrl(listen: {host: string; port: number}): string {
  return `http://${describeListen({kind: 'tcp', ...listen})}/metrics`
}
