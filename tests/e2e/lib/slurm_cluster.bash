# A one-node Slurm cluster on 127.0.0.1 in a temporary directory, without systemd: munged, slurmctld and slurmd
# run as children of the calling shell, every file (config, state, spool, logs, munge socket and key) lives under
# $SLURM_TEST_DIR. Sourced by tests/e2e/slurm.sh; docs/slurm.md explains the choices.
#   slurm_cluster_install   installs slurm-wlm and munge from Debian when missing (returns 1, reason on stdout)
#   slurm_cluster_start DIR starts the daemons, exports SLURM_CONF, waits for an idle node (returns 1 with reason)
#   slurm_cluster_stop      stops every daemon it started (safe to call twice; meant for `trap ... EXIT`)

slurm_cluster_pids=()

slurm_cluster_install() {
  local missing=()
  command -v slurmctld >/dev/null || missing+=(slurmctld)
  command -v slurmd >/dev/null || missing+=(slurmd)
  command -v srun >/dev/null || missing+=(slurm-client)
  command -v munged >/dev/null || missing+=(munge)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo -n"
  local log
  log=$(mktemp)
  # Debian's maintainer scripts would start the daemons through systemd or init scripts; policy-rc.d forbids it
  # for this install only (we start our own, in a temporary directory).
  if ! { $sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
           --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "apt-get could not install ${missing[*]}: $(tail -n 3 "$log" | tr '\n' ' ')"
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
  for bin in slurmctld slurmd srun squeue scancel scontrol munged; do
    command -v "$bin" >/dev/null || { echo "apt-get ran but $bin is still missing"; return 1; }
  done
}

# A TCP port nobody listens on now (the kernel picks it).
slurm_cluster_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

slurm_cluster_start() {
  local dir=$1
  export SLURM_TEST_DIR=$dir
  mkdir -p "$dir"/{munge,state,spool,log}
  chmod 700 "$dir" "$dir/munge"
  local host
  host=$(hostname -s)
  local ctld_port slurmd_port
  ctld_port=$(slurm_cluster_free_port)
  slurmd_port=$(slurm_cluster_free_port)

  # munge: its own key, socket and files; --force because it runs as root here.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --force --foreground --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
    >"$dir/log/munged.out" 2>&1 &
  slurm_cluster_pids+=($!)

  local cpus=4
  cat >"$dir/slurm.conf" <<CONF
ClusterName=harnesstest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=86400
KillWait=2
InactiveLimit=0
MessageTimeout=5
NodeName=harnessnode NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=harnessnode Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf

  local i
  for i in $(seq 1 50); do [[ -S "$dir/munge/munge.socket" ]] && break; sleep 0.1; done
  [[ -S "$dir/munge/munge.socket" ]] || { echo "munged did not start: $(tail -n 3 "$dir/log/munged.log" "$dir/log/munged.out" 2>/dev/null | tr '\n' ' ')"; return 1; }

  slurmctld -D -i -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
  slurm_cluster_pids+=($!)
  slurmd -D -N harnessnode -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
  slurm_cluster_pids+=($!)

  local state=""
  for i in $(seq 1 150); do
    state=$(timeout 5 sinfo -h -n harnessnode -o %T 2>/dev/null || true)
    [[ "$state" == idle ]] && return 0
    sleep 0.2
  done
  echo "the node did not become idle (state '${state:-no answer}'): slurmctld: $(tail -n 3 "$dir/log/slurmctld.log" 2>/dev/null | tr '\n' ' ') slurmd: $(tail -n 3 "$dir/log/slurmd.log" "$dir/log/slurmd.out" 2>/dev/null | tr '\n' ' ')"
  return 1
}

slurm_cluster_stop() {
  local pid
  # slurmd first (it ends its job steps), then the controller, then munge.
  for ((i = ${#slurm_cluster_pids[@]} - 1; i >= 0; i--)); do
    pid=${slurm_cluster_pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  slurm_cluster_pids=()
}
