# %post: $1 is 1 on installation, 2 on upgrade. Certificates and configs on the first installation
# (joblet init with this host's names and addresses; JOBLET_ADDRESS, JOBLET_HOSTS and
# JOBLET_INSTANCE in the environment of rpm/dnf set the listen address, extra certificate names and
# the instance), then the service enabled and started when systemd runs.
#JOBLET_MAINT#
fresh=0
[ -e "$JM_SERVER_CONFIG" ] || fresh=1
jm_configure "${JOBLET_ADDRESS:-0.0.0.0:50051}" "${JOBLET_INSTANCE:-joblet}" "$JM_DEFAULT_STATE_DIR" "${JOBLET_HOSTS:-}" || exit 1
if jm_has_systemd; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ "$1" -eq 1 ]; then
    systemctl enable joblet.service >/dev/null 2>&1 || true
    systemctl start joblet.service >/dev/null 2>&1 || jm_warn "joblet.service did not start; see: journalctl -u joblet -n 50"
  fi
elif [ "$1" -eq 1 ]; then
  echo "joblet: systemd is not running here (a container?), so the daemon was not started. Start it with:"
  echo "  /usr/lib/joblet/joblet-maint start    (in the background; log $JM_LOGFILE; stop: joblet-maint stop)"
  echo "or in the foreground: joblet serve"
fi
if [ "$fresh" = 1 ]; then jm_client_help; fi
exit 0
