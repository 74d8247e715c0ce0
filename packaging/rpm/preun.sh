# %preun: $1 is 0 when the package is erased, 1 when an upgrade replaces it. On erase: stop the
# daemon and remove what it made at run time; an upgrade keeps it running (%postun restarts it).
#JOBLET_MAINT#
if [ "$1" -eq 0 ]; then
  if jm_has_systemd; then systemctl disable joblet.service >/dev/null 2>&1 || true; fi
  jm_stop
fi
exit 0
