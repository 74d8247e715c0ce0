# %postun: $1 is 0 after erase, 1 after an upgrade. After an upgrade the running daemon is
# restarted on the new executable. After erase the cache goes; state and config stay (rpm has no
# purge): the message says how to delete them.
#JOBLET_MAINT#
if [ "$1" -ge 1 ]; then
  if jm_has_systemd; then
    systemctl daemon-reload >/dev/null 2>&1 || true
    systemctl try-restart joblet.service >/dev/null 2>&1 || true
  else
    pid="$(jm_daemon_pid)"
    if [ -n "$pid" ] && [ "$(tr -dc '0-9' <"$JM_PIDFILE" 2>/dev/null)" = "$pid" ]; then
      jm_say "restarting the daemon on the new version"
      jm_stop && jm_bg_start || jm_warn "the daemon did not restart; start it with: /usr/lib/joblet/joblet-maint start"
    fi
  fi
else
  if jm_has_systemd; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  jm_drop_cache
  if [ -d "$(jm_state_dir)" ] || [ -d "$JM_CONFIG_DIR" ]; then
    jm_say "kept $(jm_state_dir) and $JM_CONFIG_DIR (jobs, logs, volumes, certificates); to delete them: rm -rf $(jm_state_dir) $JM_CONFIG_DIR $JM_LOGFILE"
  fi
fi
exit 0
