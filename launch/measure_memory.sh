#!/usr/bin/env bash
# Memory per rank while training, read from /proc/PID/smaps_rollup of every gan_dist process:
# resident (RSS), proportional (PSS: shared pages divided among the processes that map them) and
# anonymous (heap and other memory no file backs: a private copy of the data lives here). Each data set runs
# twice: --data.cache_dir=none (every rank reads the files into its own memory, as before the
# packed format) and the default (every rank maps one packed copy).
#   launch/measure_memory.sh [--ranks "1 2 8"] [--steps 40] [--data "LABEL --data.name=... ..."]...
# Default data sets, same model and image shape, 4x apart in size: Fashion-MNIST (60,000 x 28 x 28
# = 47 MB) and Fashion-MNIST four times over (240,000 images, 188 MB, an IDX file made here).
set -euo pipefail
cd "$(dirname "$0")/.."

ranks="1 2 8"
steps=40
datasets=()
while (($#)); do
  case "$1" in
    --ranks) ranks=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --data) datasets+=("$2"); shift 2 ;;
    *) echo "usage: launch/measure_memory.sh [--ranks \"1 2 8\"] [--steps N] [--data \"LABEL --data.name=...\"]..." >&2; exit 2 ;;
  esac
done
as_root=()
[[ $(id -u) -eq 0 ]] && as_root=(--allow-run-as-root)
work=$(mktemp -d)
trap 'pkill -f "$work/run" 2>/dev/null || true; rm -rf "$work"' EXIT

if ((${#datasets[@]} == 0)); then
  # 240,000 = 0x0003a980 images of 28 x 28: the IDX header, then the training images four times.
  mkdir -p "$work/fm4x"
  { printf '\x00\x00\x08\x03\x00\x03\xa9\x80\x00\x00\x00\x1c\x00\x00\x00\x1c'
    for _ in 1 2 3 4; do zcat /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz | tail -c +17; done
  } >"$work/fm4x/train-images-idx3-ubyte"
  datasets=("fashion_mnist --data.name=fashion_mnist"
            "fashion_mnist_x4 --data.name=mnist --data.path=$work/fm4x --data.cache_dir=$work/cache")
fi

# Sums the smaps_rollup fields (kB) over the gan_dist ranks (not mpirun) writing into $1; prints
# "processes rss pss anonymous" in MB.
measure() {
  local n=0 rss=0 pss=0 anon=0
  for pid in $(pgrep -x gan_dist); do
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--output.dir=$1 " || continue
    read -r r p a < <(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} /^Anonymous:/{a=$2} END{print r, p, a}' "/proc/$pid/smaps_rollup")
    n=$((n + 1)); rss=$((rss + r)); pss=$((pss + p)); anon=$((anon + a))
  done
  echo "$n $((rss / 1024)) $((pss / 1024)) $((anon / 1024))"
}

printf '%-16s %-8s %5s %12s %12s %14s %14s\n' data memory ranks "RSS MB/rank" "PSS MB/rank" "anon MB/rank" "PSS MB (all)"
for data in "${datasets[@]}"; do
  label=${data%% *}
  data=${data#* }
  for cache in none mapped; do
    options=$data
    # Reading into memory: the data set's own cache folder does not apply.
    [[ $cache == none ]] && options="$(sed -E 's/--data.cache_dir=[^ ]+//' <<<"$data") --data.cache_dir=none"
    for n in $ranks; do
      out="$work/run-$label-$cache-$n"
      # The reference MLP: a small model, so the data's share shows.
      # shellcheck disable=SC2086  # $options is a list of options
      mpirun "${as_root[@]}" --oversubscribe --bind-to none -np "$n" build/gan_dist \
        --config configs/fashion_mnist_mlp.ini $options \
        --train.max_steps=1000000 --output.log_every=5 --output.sample_every=0 --output.checkpoint_every=0 \
        --eval.every=0 --output.dir="$out" --output.report=false >"$out.log" 2>&1 &
      job=$!
      # Measure once training is under way (the first metrics lines), not during start-up.
      until [[ -f "$out/metrics.jsonl" ]] && (($(wc -l <"$out/metrics.jsonl") * 5 >= steps)); do
        kill -0 "$job" 2>/dev/null || { echo "run failed:"; tail -5 "$out.log"; exit 1; }
        sleep 0.5
      done
      read -r processes rss pss anon < <(measure "$out")
      kill "$job"; wait "$job" 2>/dev/null || true
      ((processes == n)) || { echo "found $processes gan_dist processes of $out, expected $n" >&2; exit 1; }
      printf '%-16s %-8s %5d %12d %12d %14d %14d\n' "$label" "$cache" "$n" $((rss / n)) $((pss / n)) $((anon / n)) "$pss"
    done
  done
done
