/**
 * The unit, as a Handlebars template. Every `{{value}}` goes through the systemd escaping of
 * systemd-syntax.ts (never HTML escaping); the helpers quote where a setting needs quoting.
 * A standalone `{{#if}}` line leaves no blank line behind.
 */
export const UNIT_TEMPLATE = `# Installed by \`tspm startup systemd\`; remove it with \`tspm unstartup\`.
[Unit]
Description=tspm process manager of {{user}} (TSPM_HOME={{tspmHome}})
After=network.target

[Service]
Type=simple
User={{user}}
Group={{group}}
Environment={{environmentAssignment "TSPM_HOME" tspmHome}}
Environment={{environmentAssignment "PATH" path}}
WorkingDirectory={{pathSetting home}}
ExecStart={{execCommand command}}
Restart=on-failure
LimitNOFILE={{openFilesLimit}}
RestartSec=10s
{{#if restartSteps}}
RestartSteps=5
RestartMaxDelaySec=5min
{{/if}}
# SIGTERM to the supervisor, which stops every app within its kill_timeout; then SIGKILL for what is left.
KillMode=mixed
TimeoutStopSec={{timeoutStopSec}}s

[Install]
WantedBy=multi-user.target
`
