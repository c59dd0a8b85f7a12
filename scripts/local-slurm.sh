#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for the Slurm test (tests/slurm.rs) and for
# trying `atrophy slurm --submit` without a cluster. Debian's slurm-wlm and munge; run as root.
#
#   scripts/local-slurm.sh install   # apt-get install slurm-wlm munge (if missing)
#   scripts/local-slurm.sh start     # munged, slurmctld, slurmd with a generated slurm.conf
#   scripts/local-slurm.sh stop
#
# The configuration (one node, this host, all its CPUs and memory, one partition `debug`,
# process tracking without cgroups) is written to /etc/slurm/slurm.conf only when that file
# does not exist, or was written by this script.
set -euo pipefail
cmd=${1:-start}
conf=/etc/slurm/slurm.conf
marker="# written by atrophy scripts/local-slurm.sh"

need_root() { [ "$(id -u)" = 0 ] || { echo "local-slurm: needs root" >&2; exit 1; }; }

case "$cmd" in
install)
  need_root
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null; }
  fi
  ;;
start)
  need_root
  command -v slurmctld >/dev/null || { echo "local-slurm: slurm-wlm is not installed (run: $0 install)" >&2; exit 1; }
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  if [ ! -e "$conf" ] || grep -q "$marker" "$conf"; then
    mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    cat > "$conf" <<CONF
$marker
ClusterName=atrophy-local
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
    # slurmd checks cgroup.conf only when a cgroup plugin is used; none is.
  fi
  pgrep -x munged >/dev/null || { mkdir -p /run/munge && chown munge:munge /run/munge && su -s /bin/sh munge -c /usr/sbin/munged; }
  pgrep -x slurmctld >/dev/null || slurmctld
  pgrep -x slurmd >/dev/null || slurmd
  for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
      echo "local-slurm: node $host up ($cpus CPUs, ${mem} MB)" >&2
      exit 0
    fi
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  echo "local-slurm: the node did not come up; see /var/log/slurm/" >&2
  sinfo >&2 || true
  exit 1
  ;;
stop)
  need_root
  pkill -x slurmd || true
  pkill -x slurmctld || true
  pkill -x munged || true
  ;;
*)
  echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
