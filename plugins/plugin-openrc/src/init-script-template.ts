/**
 * The init script, as a Handlebars template. Every `{{value}}` goes through the sh quoting of
 * init-script-syntax.ts (the core routes each one through the format's escape; Handlebars' HTML
 * escaping is never used); `{{evalWords ...}}` makes the sh words of a variable that
 * supervise-daemon.sh passes through eval, and that text is quoted once more for the assignment.
 *
 * Variables (openrc-run(8), supervise-daemon(8)):
 * - supervisor=supervise-daemon: openrc-run starts supervise-daemon, which starts the command as
 *   its child and starts it again when it exits; `rc-service <name> status` reports on both.
 * - command, command_args: argv, no shell: the absolute runtime, its flags, the absolute tspm,
 *   `resurrect`.
 * - command_user: user:group; supervise-daemon also sets HOME and USER for that user.
 * - directory: the working folder, the user's home.
 * - output_log, error_log: the supervisor's own output, under TSPM_HOME (opened as the user).
 * - supervise_daemon_args --env PATH=: the PATH of the supervisor only; openrc-run's own shell
 *   keeps its PATH, on which its helpers (ebegin, service_set_value...) are found.
 * - respawn_delay, respawn_max=0: 10 s between two starts, as many as it takes (the default gives
 *   up after 10).
 * - retry: on stop, SIGTERM (the supervisor stops every app within its kill_timeout), then SIGKILL.
 * - rc_ulimit: open files for the supervisor and its apps (openrc-run runs `ulimit` with it).
 * - export TSPM_HOME: in the environment of everything openrc-run starts for this service.
 * - depend: `use net`, not `need net`: no service of Debian's OpenRC provides net, so a need
 *   would never be met, while `use` orders tspm after the network where a service provides it.
 */
export const INIT_SCRIPT_TEMPLATE = `#!/sbin/openrc-run
# Installed by \`tspm startup openrc\`; remove it with \`tspm unstartup\`.

description={{description}}

supervisor=supervise-daemon
# supervise-daemon.sh reads these through eval: each holds sh words, quoted once more here.
command={{evalWords runtime}}
command_args={{evalWords args}}
command_user={{evalWords userAndGroup}}
directory={{evalWords home}}
output_log={{evalWords stdoutPath}}
error_log={{evalWords stderrPath}}
supervise_daemon_args={{evalWords "--env" pathAssignment}}
respawn_delay={{respawnDelay}}
respawn_max=0
retry={{evalWords retry}}
rc_ulimit={{ulimit}}

export TSPM_HOME={{tspmHome}}

depend() {
	use net
}
`
