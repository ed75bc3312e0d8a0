#!/usr/bin/python3
"""The reference MLP GAN trained with PyTorch DistributedDataParallel (gloo), against gan_dist.

The yardstick for gan_dist's CPU speed: the same GAN as configs/fashion_mnist_mlp.ini (G
100-256-256-784 ReLU/tanh, D 784-256-256-1 ReLU, non-saturating BCE on logits, Adam(2e-4, 0.5,
0.999), batch 64 per rank, Fashion-MNIST), one thread per rank, each rank pinned to its own core
as mpirun binds gan_dist's. The way a PyTorch user writes it: G and D each wrapped in DDP, D's
weights frozen during the G step (no D weight gradients, no D allreduce there), the real batch
drawn from a tensor in memory (no DataLoader workers, which would compete for the cores).

Run it, then gan_bench in the same invocation, so the ratio comes from one run:

    /usr/bin/python3 launch/bench/ddp_reference.py --ranks 2 --gan-bench build/gan_bench

prints samples/s of each and gan_dist / DDP.
"""
import argparse
import gzip
import os
import re
import struct
import subprocess
import sys
import time

# The settings gan_dist makes for itself, given to PyTorch too, so that the ratio compares the
# training steps and not glibc's malloc or two fighting thread pools: glibc's allocator tuned as
# src/common/memory_tuning.cpp does (without it, returning the per-step tensors to the OS and
# faulting them back makes this script 2-3x slower), one thread for torch and for OpenBLAS.
# glibc reads its tunables when a process starts: re-executed with them once.
MALLOC_TUNABLES = ("glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:"
                   "glibc.malloc.top_pad=67108864")
if os.environ.get("GLIBC_TUNABLES") != MALLOC_TUNABLES and __name__ == "__main__":
    os.environ["GLIBC_TUNABLES"] = MALLOC_TUNABLES
    os.execv(sys.executable, [sys.executable] + sys.argv)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.nn.parallel import DistributedDataParallel as DDP  # noqa: E402

DEFAULT_IMAGES = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def load_images(path):
    """IDX images as a float tensor in [-1, 1], one row per image (as gan_dist scales them)."""
    with gzip.open(path, "rb") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803:
            sys.exit(f"{path}: not an IDX image file (magic {magic:#x}, expected 0x803)")
        pixels = torch.frombuffer(bytearray(f.read(count * rows * cols)), dtype=torch.uint8)
    return pixels.view(count, rows * cols).float().div_(127.5).sub_(1.0)


def generator(latent, hidden, out):
    return nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out), nn.Tanh())


def discriminator(inp, hidden):
    return nn.Sequential(nn.Linear(inp, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, 1))


def train_rank(rank, world, args, results):
    os.sched_setaffinity(0, {rank % os.cpu_count()})
    torch.set_num_threads(1)
    distributed = world > 1
    if distributed:
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(args.port))
        dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(args.seed)
    images = load_images(args.images)
    g = generator(args.latent, args.hidden, images.shape[1])
    d = discriminator(images.shape[1], args.hidden)
    if distributed:
        g, d = DDP(g), DDP(d)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    b = args.batch
    ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)
    draw = torch.Generator().manual_seed(args.seed * 1000 + rank)

    def step():
        real = images[torch.randint(0, images.shape[0], (b,), generator=draw)]
        z = torch.randn(b, args.latent, generator=draw)
        # D step: real and generated rows in one pass, as gan_dist does.
        fake = g(z)
        logits = d(torch.cat([real, fake.detach()]))
        loss_d = bce(logits[:b], ones) + bce(logits[b:], zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # G step through the updated D, D's weights frozen.
        for p in d.parameters():
            p.requires_grad_(False)
        loss_g = bce(d(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        for p in d.parameters():
            p.requires_grad_(True)

    for _ in range(args.warmup):
        step()
    if distributed:
        dist.barrier()
    began = time.perf_counter()
    for _ in range(args.steps):
        step()
    if distributed:
        dist.barrier()
    seconds = time.perf_counter() - began
    if rank == 0:
        results.put(seconds)
    if distributed:
        dist.destroy_process_group()


def gan_bench_samples_per_second(args):
    """Runs gan_bench train on the same GAN and world size; returns its data-parallel samples/s."""
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "fashion_mnist_mlp.ini")
    command = [args.gan_bench, "train", "--config", config, "--steps", str(args.steps), "--warmup", str(args.warmup)]
    if args.ranks > 1:
        command = ["mpirun", "-np", str(args.ranks)] + command
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"gan_bench failed ({out.returncode}): {out.stderr.strip().splitlines()[-1:]}")
    row = re.search(rf"^\s*{args.ranks} rank\(s\)\s+(\S+)(?:\s+\S+){{3}}\s+(\S+)", out.stdout, re.M)
    if not row:
        sys.exit("gan_bench printed no data-parallel row:\n" + out.stdout)
    return float(row.group(2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=2)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64, help="per rank")
    parser.add_argument("--latent", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--port", type=int, default=29517)
    parser.add_argument("--images", default=DEFAULT_IMAGES)
    parser.add_argument("--gan-bench", help="path of gan_bench: also time gan_dist and print the ratio")
    args = parser.parse_args()
    if args.ranks < 1 or args.steps < 1:
        sys.exit("--ranks and --steps must be at least 1")
    if not os.path.exists(args.images):
        sys.exit(f"--images {args.images}: no such file (install dataset-fashion-mnist)")

    results = mp.get_context("spawn").SimpleQueue()
    if args.ranks == 1:
        train_rank(0, 1, args, results)
    else:
        mp.spawn(train_rank, args=(args.ranks, args, results), nprocs=args.ranks, join=True)
    seconds = results.get()
    ddp = args.batch * args.ranks * args.steps / seconds
    print(f"pytorch {torch.__version__} DDP (gloo), {args.ranks} rank(s), batch {args.batch} per rank: "
          f"{1e3 * seconds / args.steps:.3f} ms/step, {ddp:.0f} samples/s")
    if args.gan_bench:
        ours = gan_bench_samples_per_second(args)
        print(f"gan_dist (gan_bench train), {args.ranks} rank(s): {ours:.0f} samples/s")
        print(f"gan_dist / DDP = {ours / ddp:.2f}x")


if __name__ == "__main__":
    main()
