#!/usr/bin/env bash
# Installs the Debian 12 packages gan_dist needs, and only those that are missing.
# Idempotent: with everything present it changes nothing and does not touch the network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config procps
  clang libclang-rt-14-dev      # the sanitizer and fuzzing tree (ASan, UBSan, libFuzzer)
  libtorch-dev
  libopenblas0-pthread          # without it Debian's torch uses reference BLAS (~4x slower)
  libopenmpi-dev openmpi-bin
  libboost-program-options-dev
  libgtest-dev
  libpng-dev zlib1g-dev libjpeg62-turbo-dev   # decoding PNG and JPEG folders (gan_data pack)
  oxygen-icon-theme             # the icons config: ~800 64x64 PNG icons, a real small data set
  nlohmann-json3-dev
  libzip-dev                    # the zip archives torch.save writes (--model.init_from)
  dataset-fashion-mnist         # real Fashion-MNIST (IDX .gz) in /usr/share/datasets/fashion-mnist
  protobuf-compiler libprotobuf-dev libisal-dev   # TensorBoard event files (protobuf, CRC-32C)
  python3-crc32c chromium                          # independent checks of the event files and the report
  slurmctld slurmd slurm-client munge   # the slurm-labelled test runs the job scripts on a local Slurm
  iproute2 util-linux python3           # the simulated cluster (ip netns, tc, unshare, taskset), its tests
  shellcheck                            # the launch scripts and shell tests are checked like C++
  python3-torch python3-numpy python3-pil   # the reference reader of gan_export's files (the python_export test)
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
