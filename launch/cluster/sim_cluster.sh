#!/usr/bin/env bash
# A simulated cluster on this one machine: every "node" is a network namespace with its own
# loopback, its own hostname and its own cores, joined to the others by a veth link to a bridge,
# so ranks on different nodes can only talk TCP over that link, as between real machines.
#
#   launch/cluster/sim_cluster.sh up N [--rate 1gbit|10gbit|none] [--slots K] [--private-dir PATH]
#   launch/cluster/sim_cluster.sh down
#   launch/cluster/sim_cluster.sh status
#   launch/cluster/sim_cluster.sh exec NODE COMMAND...     run COMMAND on node NODE (1..N)
#   launch/cluster/sim_cluster.sh mpirun [mpirun options...] run mpirun across the nodes, on the
#                                                           first node it names (see head_node)
#   launch/cluster/sim_cluster.sh fail NODE                 node NODE dies: every process killed, link
#                                                           down, no command runs there until restored
#   launch/cluster/sim_cluster.sh restore NODE              node NODE is back: link up again
#
# --private-dir PATH: the nodes share no file system at PATH. Each node sees its own directory
# there (a bind mount of <state dir>/private/nodeI in the node's mount namespace), as a
# node-local disk; the host sees node I's files under <state dir>/private/nodeI. Without it,
# every node sees the host's file system, as with a shared NFS or Lustre mount.
#
# Needs root (namespaces, links, qdiscs). Everything it creates is named gsim-*; `down` removes
# all of it, also after a crash, and `up` starts with a `down`. Addresses come only from the
# benchmarking range 198.18.0.0/15 and live only inside namespaces this script creates: the
# bridge sits in a namespace of its own (gsim-switch), so nothing touches the host's network.
#
# The two things a cluster on one machine gets wrong unless told (both seen):
#  - Hostnames. Open MPI names its session directory and shared-memory segments after the
#    hostname; two "nodes" with one name collide in /tmp and a rank segfaults in the vader BTL.
#    The rsh agent starts each node's processes in a UTS namespace named after the node.
#  - Cores. Each node's daemon binds its first rank to "core 0", so ranks of different nodes
#    would time-slice one core (every collective ~24 ms instead of ~0.3 ms). Each node runs under
#    taskset on its own cores (node i gets core (i-1) mod nproc) and mpirun gets --bind-to none.
set -euo pipefail

state_dir=${GAN_SIM_CLUSTER_DIR:-/run/gan_sim_cluster}
script_path=$(readlink -f "${BASH_SOURCE[0]}")
subnet_prefix=198.18.0
switch_ns=gsim-switch
bridge=gsim-br

node_ns() { echo "gsim-node$1"; }
node_ip() { echo "${subnet_prefix}.$((10 + $1))"; }

die() { echo "sim_cluster: $*" >&2; exit 1; }
need_root() { [[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, veth links, qdiscs)"; }

node_count() { [[ -f ${state_dir}/nodes ]] && cat "${state_dir}/nodes" || echo 0; }

cluster_down() {
  # Processes first (a namespace with live processes stays alive), then links and namespaces.
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '/^gsim-/{print $1}'); do
    for pid in $(ip netns pids "${ns}" 2>/dev/null); do kill -9 "${pid}" 2>/dev/null || true; done
  done
  for ns in $(ip netns list 2>/dev/null | awk '/^gsim-/{print $1}'); do
    ip netns delete "${ns}" 2>/dev/null || true
    rm -rf "/etc/netns/${ns}"
  done
  # veth ends left in the host namespace by an interrupted `up`.
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '/gsim/{print $2}' | cut -d@ -f1); do
    ip link delete "${link}" 2>/dev/null || true
  done
  rm -rf "${state_dir}"
}

# Egress limit on one interface: tbf with a burst and queue sized for the rate.
limit_rate() {
  local ns=$1 dev=$2 rate=$3
  [[ ${rate} == none ]] && return 0
  ip netns exec "${ns}" tc qdisc replace dev "${dev}" root tbf rate "${rate}" burst 1mbit latency 50ms
}

cluster_up() {
  local count=$1 rate=$2 slots=$3 private_dir=$4
  [[ ${count} =~ ^[0-9]+$ && ${count} -ge 1 && ${count} -le 200 ]] || die "up N: N must be 1..200, got '${count}'"
  [[ ${rate} =~ ^(none|[0-9]+(k|m|g)?bit)$ ]] || die "--rate must be none or like 1gbit, 10gbit, 500mbit; got '${rate}'"
  [[ ${slots} =~ ^[0-9]+$ && ${slots} -ge 1 ]] || die "--slots must be a positive number, got '${slots}'"
  if [[ -n ${private_dir} ]]; then
    [[ ${private_dir} == /* ]] || die "--private-dir must be an absolute path, got '${private_dir}'"
  fi
  cluster_down
  mkdir -p "${state_dir}"
  if [[ -n ${private_dir} ]]; then
    mkdir -p "${private_dir}" || die "--private-dir: cannot create '${private_dir}'"
    echo "${private_dir}" >"${state_dir}/private_dir"
  fi
  ip netns add "${switch_ns}"
  ip netns exec "${switch_ns}" ip link add "${bridge}" type bridge
  ip netns exec "${switch_ns}" ip link set "${bridge}" up
  local cores; cores=$(nproc)
  local hosts="" i
  for i in $(seq "${count}"); do hosts+="$(node_ip "${i}") node${i}"$'\n'; done
  for i in $(seq "${count}"); do
    local ns; ns=$(node_ns "${i}")
    ip netns add "${ns}"
    ip netns exec "${ns}" ip link set lo up
    # A dead link must end a connection with data in flight within seconds: mpirun finishes an
    # aborted job only when every node's daemon has answered or its connection has failed, and
    # Linux's default retransmission budget (tcp_retries2=15) takes ~15 minutes. 5 is ~10-20 s.
    ip netns exec "${ns}" sysctl -qw net.ipv4.tcp_retries2=5
    # One end is the node's eth0, the other a port of the bridge.
    ip link add "gsim${i}-eth" type veth peer name "gsim${i}-port"
    ip link set "gsim${i}-eth" netns "${ns}"
    ip link set "gsim${i}-port" netns "${switch_ns}"
    ip netns exec "${ns}" ip link set "gsim${i}-eth" name eth0
    ip netns exec "${ns}" ip addr add "$(node_ip "${i}")/24" dev eth0
    ip netns exec "${ns}" ip link set eth0 up
    ip netns exec "${switch_ns}" ip link set "gsim${i}-port" master "${bridge}"
    ip netns exec "${switch_ns}" ip link set "gsim${i}-port" up
    # Both directions of the link: the node's sending side and the bridge's side towards it.
    limit_rate "${ns}" eth0 "${rate}"
    limit_rate "${switch_ns}" "gsim${i}-port" "${rate}"
    # `ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts: node names resolve inside.
    mkdir -p "/etc/netns/${ns}"
    printf '127.0.0.1 localhost\n%s' "${hosts}" >"/etc/netns/${ns}/hosts"
    echo "$(( (i - 1) % cores ))" >"${state_dir}/cores.node${i}"
    [[ -n ${private_dir} ]] && mkdir -p "${state_dir}/private/node${i}"
    echo "node${i} slots=${slots}" >>"${state_dir}/hostfile"
  done
  echo "${count}" >"${state_dir}/nodes"
  # One core per node: ranks of one node, or of nodes given the same core, take turns on it.
  if ((slots > 1 || count > cores)); then touch "${state_dir}/shared_cores"; fi
  echo "${rate}" >"${state_dir}/rate"
  write_rsh_agent
  echo "sim_cluster: ${count} node(s) up (${subnet_prefix}.11-$((10 + count)), link rate ${rate}, ${slots} slot(s) each);" \
       "hostfile ${state_dir}/hostfile, rsh agent ${state_dir}/rsh_agent"
  if [[ -n ${private_dir} ]]; then
    echo "sim_cluster: ${private_dir} is node-local: node I's files are in ${state_dir}/private/nodeI"
  fi
}

# mpirun's launcher: `rsh_agent HOST COMMAND...` runs COMMAND on node HOST, as ssh would.
write_rsh_agent() {
  cat >"${state_dir}/rsh_agent" <<AGENT
#!/usr/bin/env bash
# Written by sim_cluster.sh: runs a command on a simulated node, as ssh would on a real one.
host=\$1; shift
[[ \${host} =~ ^node([0-9]+)\$ ]] || { echo "rsh_agent: unknown host '\${host}'" >&2; exit 255; }
exec "${script_path}" exec "\${BASH_REMATCH[1]}" "\$@"
AGENT
  chmod +x "${state_dir}/rsh_agent"
}

# Runs a command on node i: its network namespace, its hostname, its cores, its private
# directory (with --private-dir), and the host's cgroup hierarchies (`ip netns exec` mounts a
# fresh /sys without them, and slurmd refuses to start without a cgroup file system).
node_exec() {
  local i=$1; shift
  [[ -f ${state_dir}/cores.node${i} ]] || die "no node ${i} (is the cluster up? sim_cluster.sh status)"
  if [[ -f ${state_dir}/failed.node${i} ]]; then
    echo "sim_cluster: node${i} is down (failed; 'restore ${i}' brings it back)" >&2
    exit 255
  fi
  local cores; cores=$(cat "${state_dir}/cores.node${i}")
  # Where ranks share a core, a rank that waits in MPI must give the core up: Open MPI spins
  # otherwise, holding the core for the whole time slice that the rank it waits for needs
  # (elastic runs of 3 nodes on 2 cores were 3x slower). mpirun does this by itself when it
  # knows a node is oversubscribed; here only the simulator knows.
  if [[ -f ${state_dir}/shared_cores ]]; then
    export OMPI_MCA_mpi_yield_when_idle=${OMPI_MCA_mpi_yield_when_idle:-1}
  fi
  local cgroups; cgroups=$(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2, $3, $4}' /proc/mounts)
  local private_dir="" node_dir=""
  if [[ -f ${state_dir}/private_dir ]]; then
    private_dir=$(cat "${state_dir}/private_dir")
    node_dir=${state_dir}/private/node${i}
  fi
  # ssh runs the remote command through a shell, and mpirun relies on it: so do we. The script is
  # single-quoted on purpose: its $0..$5 are the node shell's arguments, expanded there. The bind
  # mount lives in the mount namespace `ip netns exec` made for this command (slave to the
  # host's, so nothing propagates back).
  # shellcheck disable=SC2016
  exec ip netns exec "$(node_ns "${i}")" unshare --uts /bin/sh -c '
    hostname "$0"
    if [ -n "$4" ]; then mount --bind "$5" "$4" || exit 1; fi
    if [ -n "$3" ]; then
      mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
      echo "$3" | while read -r dir type options; do
        mkdir -p "${dir}" && mount -t "${type}" -o "${options}" "${type}" "${dir}"
      done
    fi
    exec taskset -c "$1" /bin/sh -c "$2"' "node${i}" "${cores}" "$*" "${cgroups}" "${private_dir}" "${node_dir}"
}

cluster_status() {
  local count; count=$(node_count)
  if [[ ${count} -eq 0 ]]; then echo "sim_cluster: down"; return 0; fi
  # State left by a run that was killed before it could tear down (the namespaces went with a reboot).
  if ! ip netns list 2>/dev/null | grep -q "^$(node_ns 1)\b"; then
    echo "sim_cluster: down (stale state in ${state_dir} from a run that did not tear down: 'sim_cluster.sh down' clears it)"
    return 0
  fi
  echo "sim_cluster: ${count} node(s), link rate $(cat "${state_dir}/rate"), hostfile ${state_dir}/hostfile"
  local i
  for i in $(seq "${count}"); do
    local ns; ns=$(node_ns "${i}")
    local stats; stats=$(ip netns exec "${ns}" cat /sys/class/net/eth0/statistics/tx_bytes /sys/class/net/eth0/statistics/rx_bytes 2>/dev/null | paste -sd' ')
    printf 'node%-3s %-14s cores %-3s processes %-4s tx/rx bytes %s\n' "${i}" "$(node_ip "${i}")" \
      "$(cat "${state_dir}/cores.node${i}")" "$(ip netns pids "${ns}" | wc -l)" "${stats}"
  done
}

# A failed node runs nothing until restored: `exec` on it fails as ssh to a dead machine would.
node_fail() {
  local i=$1 pid
  [[ -f ${state_dir}/cores.node${i} ]] || die "no node ${i} (is the cluster up? sim_cluster.sh status)"
  touch "${state_dir}/failed.node${i}"
  for pid in $(ip netns pids "$(node_ns "${i}")"); do kill -9 "${pid}" 2>/dev/null || true; done
  ip netns exec "$(node_ns "${i}")" ip link set eth0 down
}

node_restore() {
  local i=$1
  [[ -f ${state_dir}/cores.node${i} ]] || die "no node ${i} (is the cluster up? sim_cluster.sh status)"
  ip netns exec "$(node_ns "${i}")" ip link set eth0 up
  rm -f "${state_dir}/failed.node${i}"
}

# The node mpirun runs on: $GAN_SIM_HEAD_NODE, else the first host the command names (its
# --hostfile's first line, or its --host list's first entry), else node 1. Open MPI puts rank 0
# on the node mpirun runs on, as mpirun on the first node of an allocation does.
head_node() {
  [[ -n ${GAN_SIM_HEAD_NODE:-} ]] && { echo "${GAN_SIM_HEAD_NODE}"; return; }
  local previous="" arg first=""
  for arg in "$@"; do
    case ${previous} in
      --hostfile) first=$(awk '!/^[[:space:]]*(#|$)/ {print $1; exit}' "${arg}" 2>/dev/null) ;;
      --host|-H) first=${arg%%,*}; first=${first%%:*} ;;
    esac
    [[ -n ${first} ]] && break
    previous=${arg}
  done
  if [[ ${first} =~ ^node([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"; else echo 1; fi
}

cluster_mpirun() {
  [[ $(node_count) -gt 0 ]] || die "the cluster is down: sim_cluster.sh up N first"
  local btls=tcp,vader,self  # Open MPI's list syntax: one argument, commas inside
  local flags=(--mca plm_rsh_agent "${state_dir}/rsh_agent" --bind-to none --mca btl "${btls}" --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0)
  # mpirun notices a node that went silent while its connection to the node's daemon was idle
  # only through TCP keepalives; Open MPI's default takes 300 s + 9 x 20 s. This takes ~25 s.
  flags+=(--mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5 --mca oob_tcp_keepalive_probes 3)
  [[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)
  # The whole cluster, unless the command names its own hosts (the elastic launcher does).
  local arg
  local own_hosts=false
  for arg in "$@"; do [[ ${arg} == --hostfile || ${arg} == --host || ${arg} == -H ]] && own_hosts=true; done
  ${own_hosts} || flags+=(--hostfile "${state_dir}/hostfile")
  # `exec`: mpirun itself replaces the node's shell, so signals sent to this command (USR1 for an
  # agreed stop, TERM) reach mpirun, which forwards them to the ranks.
  node_exec "$(head_node "$@")" exec mpirun "${flags[@]}" "$@"
}

command=${1:-}
shift || true
case ${command} in
  up)
    need_root
    count=${1:-}; shift || true
    rate=none; slots=1; private_dir=""
    while [[ $# -gt 0 ]]; do
      case $1 in
        --rate) rate=${2:-}; shift 2 ;;
        --slots) slots=${2:-}; shift 2 ;;
        --private-dir) private_dir=${2:-}; [[ -n ${private_dir} ]] || die "--private-dir needs a path"; shift 2 ;;
        *) die "up: unknown option '$1' (expected --rate R, --slots K, --private-dir PATH)" ;;
      esac
    done
    cluster_up "${count}" "${rate}" "${slots}" "${private_dir}" ;;
  down) need_root; cluster_down; echo "sim_cluster: down" ;;
  status) cluster_status ;;
  exec) need_root; node=${1:?exec NODE COMMAND...}; shift; node_exec "${node}" "$@" ;;
  mpirun) need_root; cluster_mpirun "$@" ;;
  fail) need_root; node_fail "${1:?fail NODE}" ;;
  restore) need_root; node_restore "${1:?restore NODE}" ;;
  *) die "usage: sim_cluster.sh up N [--rate 1gbit|10gbit|none] [--slots K] [--private-dir PATH] | down | status | exec NODE CMD... | mpirun ARGS... | fail NODE | restore NODE" ;;
esac
