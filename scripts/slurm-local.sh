#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for nbx's Slurm tests and for trying
# `--on slurm` by hand: controller and compute node here, plain daemons (no systemd).
#
#   bash scripts/slurm-local.sh start [DIR]    install (apt) when missing, configure, start, wait
#   bash scripts/slurm-local.sh stop [DIR]     cancel the jobs, stop the daemons (DIR is kept)
#   bash scripts/slurm-local.sh status [DIR]   exit 0 when the node answers, else 1
#   bash scripts/slurm-local.sh env [DIR]      print `export SLURM_CONF=…` for a shell to eval
#
# DIR (default $NBX_SLURM_DIR, else /var/tmp/nbx-slurm) holds everything the cluster writes:
# etc/ (slurm.conf, gres.conf, the munge key), state/, spool/, log/, run/ (pids, the munge
# socket), dev/ (stand-in GPU device files). Client commands find the cluster through
# SLURM_CONF=DIR/etc/slurm.conf; when /etc/slurm/slurm.conf does not exist, it is made a link
# to ours so that plain `sbatch`, `squeue` work too (an existing site configuration is never
# touched). `start` when the cluster is up is a no-op; `start` after `stop` reuses DIR.
# Runs as root (the daemons need it: slurmd starts jobs as their users), or through sudo.
# Exit codes: 0 done, 1 failed, 3 Slurm cannot run on this machine (no root, no
# passwordless sudo, or no Slurm and no apt-get), with the reason on stderr.
set -euo pipefail

command=${1:-start}
dir=${2:-${NBX_SLURM_DIR:-/var/tmp/nbx-slurm}}
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
conf=$dir/etc/slurm.conf
# Two stand-in GPUs. gres.conf's File= must name character or block devices (slurmd refuses
# a plain file: "is not a valid character or block device", and the job gets no GPU); it
# only stats them, nothing opens them, and jobs get their indexes in CUDA_VISIBLE_DEVICES.
gpu_count=2
# Jobs sharing one CPU (see the partition below).
jobs_per_cpu=4
# How long `start` waits for the node to come up, and `stop` for a daemon to exit.
wait_seconds=60

say() { printf 'slurm-local: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}
cannot() {
  say "cannot run Slurm here: $*"
  exit 3
}

if [ "$(id -u)" -ne 0 ]; then
  # -n: never a password prompt (tests and CI have no terminal).
  sudo -n true 2>/dev/null || cannot 'the daemons need root, and sudo asks for a password (or is missing)'
  exec sudo -n --preserve-env=NBX_SLURM_DIR bash "$0" "$command" "$dir"
fi

install_packages() {
  local missing=()
  command -v munged >/dev/null || missing+=(munge)
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v sbatch >/dev/null || missing+=(slurm-client)
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || cannot "${missing[*]} missing, and no apt-get to install them"
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The packages' maintainer scripts would start the daemons as services with the
  # distribution's configuration; policy-rc.d exit 101 tells invoke-rc.d not to.
  local policy=/usr/sbin/policy-rc.d
  if ! [ -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy
    chmod 755 $policy
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# The pid in run/NAME.pid when that process is alive.
live_pid() {
  local pid
  pid=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

node_state() { SLURM_CONF=$conf sinfo --noheader --nodes="$node" --format=%T 2>/dev/null; }

write_config() {
  mkdir -p "$dir"/{etc,state,spool,log,run,dev}
  # munged refuses keys and sockets in directories others may write to.
  chmod 755 "$dir" "$dir"/{etc,run}
  chmod 700 "$dir"/{state,spool}
  if ! [ -s "$dir/etc/munge.key" ]; then
    dd if=/dev/urandom of="$dir/etc/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$dir/etc/munge.key"

  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory in MB), so the
  # configuration matches the machine and slurmd does not drain the node for a mismatch.
  local hardware
  hardware=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
  local cpus memory
  cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")
  memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hardware")

  # Character devices numbered as /dev/nvidia* are; without CAP_MKNOD (some containers)
  # the cluster has no GPUs, and says so.
  local gres= i files=()
  rm -f "$dir/etc/gres.conf"
  for ((i = 0; i < gpu_count; i++)); do
    if ! [ -c "$dir/dev/nvidia$i" ] && ! mknod "$dir/dev/nvidia$i" c 195 "$i" 2>/dev/null; then
      say "no stand-in GPUs: mknod is not permitted here"
      files=()
      break
    fi
    files+=("$dir/dev/nvidia$i")
  done
  if [ ${#files[@]} -gt 0 ]; then
    printf 'Name=gpu Type=stand-in File=%s\n' "${files[@]}" >"$dir/etc/gres.conf"
    gres="Gres=gpu:stand-in:${#files[@]}"
  fi

  cat >"$conf" <<EOF
# Written by scripts/slurm-local.sh: a single-node test cluster (controller and node here).
ClusterName=nbx
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# Our own munged, on a socket in this directory, so a site munged is left alone.
AuthInfo=socket=$dir/run/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MpiDefault=none
MailProg=/bin/true
# No cgroup plugin: Slurm 22.05's cgroup/v2 asks systemd (absent in containers and on
# CI machines) for a delegated scope, and cgroup v1, where a container mounts it at all,
# is the host's hierarchy, not ours to reorganise. So jobs' processes are tracked by
# walking /proc (parent links catch children that start their own process group or
# session, which proctrack/pgid would lose), and tasks get no CPU binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
# Consumable CPUs, memory and GPUs, so --cpus-per-task, --mem and --gres limit how many
# jobs share the node, as on a real cluster.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job without --mem gets its CPU's share of the memory, not the whole node's.
DefMemPerCPU=$((memory / cpus / jobs_per_cpu))
GresTypes=gpu
# No slurmdbd: sacct has nothing to read. Finished jobs stay in slurmctld's memory, where
# squeue and scontrol show them, for MinJobAge seconds; nbx reads their state there.
AccountingStorageType=accounting_storage/none
MinJobAge=3600
# Time limits fire without grace: --time is enforced at the controller's next time-limit
# sweep (every 30 s), then the job has KillWait seconds between SIGTERM and SIGKILL.
OverTimeLimit=0
KillWait=2
SchedulerType=sched/backfill
MaxArraySize=10001
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 $hardware $gres State=UNKNOWN
# Up to $jobs_per_cpu jobs share each CPU, as in a cluster's shared partition: a CI machine
# has 2 CPUs, and tests run several jobs at once (a job array's %P limit is only seen
# when more tasks than P could run).
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:$jobs_per_cpu
EOF
}

start() {
  install_packages
  if [ -f "$conf" ] && live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null; then
    case $(node_state) in
      idle | mixed | allocated)
        say "already running ($conf)"
        link_site_conf
        return
        ;;
    esac
  fi
  write_config
  link_site_conf

  if ! live_pid munged >/dev/null; then
    # --force: munged will not otherwise run as root or with a key outside /etc/munge.
    munged --force --key-file="$dir/etc/munge.key" --socket="$dir/run/munge.socket" \
      --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
      --seed-file="$dir/state/munged.seed"
  fi
  export SLURM_CONF=$conf
  # Without -c: a restarted controller recovers its jobs from state/, as on a real cluster.
  live_pid slurmctld >/dev/null || slurmctld
  live_pid slurmd >/dev/null || slurmd

  local deadline=$((SECONDS + wait_seconds)) state=
  while [ $SECONDS -lt $deadline ]; do
    state=$(node_state) || true
    case $state in
      idle | mixed | allocated)
        say "up: node $node $state ($conf)"
        return
        ;;
    esac
    sleep 0.5
  done
  say "node $node not idle after ${wait_seconds}s (state: ${state:-no answer}); last log lines:"
  tail -n 5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  exit 1
}

# /etc/slurm/slurm.conf → ours, when the machine has no Slurm configuration of its own.
link_site_conf() {
  local site=/etc/slurm/slurm.conf
  if ! [ -e $site ] || [ "$(readlink $site)" = "$conf" ]; then
    mkdir -p /etc/slurm
    ln -sfn "$conf" $site
  fi
}

stop() {
  local name pid deadline
  # Jobs first: a job's slurmstepd outlives slurmd by design, so its processes would run on.
  if live_pid slurmctld >/dev/null && live_pid slurmd >/dev/null; then
    export SLURM_CONF=$conf
    scancel --quiet --partition=debug || true
    deadline=$((SECONDS + wait_seconds))
    while [ -n "$(squeue --noheader --states=PENDING,RUNNING,COMPLETING --format=%i)" ]; do
      [ $SECONDS -lt $deadline ] || die "jobs still running after ${wait_seconds}s: $(squeue --noheader)"
      sleep 0.2
    done
  fi
  for name in slurmd slurmctld munged; do
    pid=$(live_pid $name) || continue
    kill "$pid"
    deadline=$((SECONDS + wait_seconds))
    while kill -0 "$pid" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || die "$name (pid $pid) still running after ${wait_seconds}s"
      sleep 0.2
    done
  done
  say 'stopped'
}

node=$(hostname -s)
case $command in
  start) start ;;
  stop) stop ;;
  status)
    state=$(node_state) || exit 1
    echo "$node $state"
    [ -n "$state" ]
    ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) die "unknown command '$command' (start, stop, status or env)" ;;
esac
