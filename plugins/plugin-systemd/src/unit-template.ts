/**
 * The unit, as a Handlebars template: a system service (`system`, with User= and Group=) or a
 * user's own service for `systemctl --user` (which runs as that user already). Every
 * `{{value}}` goes through the systemd escaping of systemd-syntax.ts (never HTML escaping); the
 * helpers quote where a setting needs quoting. A standalone `{{#if}}` line leaves no blank line
 * behind.
 */
export const UNIT_TEMPLATE = `# Installed by \`tspm startup {{platform}}\`; remove it with \`tspm unstartup\`.
[Unit]
Description=tspm process manager of {{user}} (TSPM_HOME={{tspmHome}})
{{#if system}}
After=network.target
{{/if}}

[Service]
Type=simple
{{#if system}}
User={{user}}
Group={{group}}
{{/if}}
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
{{#if system}}
WantedBy=multi-user.target
{{else}}
WantedBy=default.target
{{/if}}
`
