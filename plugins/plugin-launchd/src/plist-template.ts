/**
 * The launchd job, as a Handlebars template. Every `{{value}}` goes through the XML escaping of
 * plist-syntax.ts (the core routes each one through the format's escape; Handlebars' HTML
 * escaping is never used). A standalone `{{#if}}` line leaves no blank line behind.
 *
 * Keys (launchd.plist(5)):
 * - Label: the job's name in its domain; the file is named after it.
 * - UserName: only for a LaunchDaemon (system domain); an agent runs as the user who owns it.
 * - ProgramArguments: argv, no shell: the absolute runtime, its flags, the absolute tspm, `resurrect`.
 * - EnvironmentVariables: launchd starts jobs with a bare environment, so TSPM_HOME and PATH.
 * - RunAtLoad: start when loaded (at boot for a daemon, at login for an agent).
 * - KeepAlive/SuccessfulExit false: restart after a crash, not after a clean exit.
 * - ThrottleInterval: at least this many seconds between two starts.
 * - ExitTimeOut: seconds from SIGTERM to SIGKILL on stop, beyond the largest kill_timeout.
 * - StandardOutPath/StandardErrorPath: the supervisor's own output, under TSPM_HOME.
 * - SoftResourceLimits/HardResourceLimits NumberOfFiles: open files for the supervisor and its apps.
 */
export const PLIST_TEMPLATE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Installed by tspm startup launchd; remove it with tspm unstartup. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>{{label}}</string>
{{#if daemon}}
  <key>UserName</key>
  <string>{{userName}}</string>
{{/if}}
  <key>ProgramArguments</key>
  <array>
{{#each command}}
    <string>{{this}}</string>
{{/each}}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>TSPM_HOME</key>
    <string>{{tspmHome}}</string>
    <key>PATH</key>
    <string>{{path}}</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>{{workingDirectory}}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>{{throttleInterval}}</integer>
  <key>ExitTimeOut</key>
  <integer>{{exitTimeOut}}</integer>
  <key>SoftResourceLimits</key>
  <dict>
    <key>NumberOfFiles</key>
    <integer>{{openFilesLimit}}</integer>
  </dict>
  <key>HardResourceLimits</key>
  <dict>
    <key>NumberOfFiles</key>
    <integer>{{openFilesLimit}}</integer>
  </dict>
  <key>StandardOutPath</key>
  <string>{{stdoutPath}}</string>
  <key>StandardErrorPath</key>
  <string>{{stderrPath}}</string>
</dict>
</plist>
`
