#!/usr/bin/env python3
"""Scaling model for gan_dist's data-parallel step, fitted on the simulated cluster.

An allreduce of S bytes over p nodes costs, in the usual latency-bandwidth (alpha-beta) model,
  ring:  2 (p - 1) alpha + 2 (p - 1) / p * S * beta
  tree:  2 ceil(log2 p) alpha + 2 S beta        (pipelined binary-tree reduce, then broadcast)
alpha (from the smallest messages) and beta (least squares on relative error, sizes from
--fit-from-bytes: below tbf's burst the simulated link lets a message through faster than its
rate) are fitted to `gan_bench allreduce` runs given with --allreduce: on this 2-core machine,
2 nodes, one core each. Runs given with --check-allreduce (3 and 4 nodes, which must share the
two cores) are only compared with the model: there the nodes time-slice a core, and a message
waits for its receiver's turn (milliseconds), which no cluster does.

A training step (per-rank batch fixed: weak scaling) then costs
  step(p) = compute + K * latency(p) + bandwidth(p, B)
with compute the same binary's 1-rank step, B the gradient bytes one rank sends per step and K
its allreduces (both printed by `gan_bench train`, per --comm.compress mode), plus a CPU cost
per byte sent where the communication shares the training thread's core (fitted on the 2-node
steps, checked on 3 and 4 nodes; left out of the predictions, which are for nodes with a core or
a NIC of their own for communication). Nothing overlaps:
on these machines the training thread loses all of the collective time (docs/performance.md), so the model
says the same. Faster links scale beta by the rate; alpha (software latency) stays as fitted.

  scaling_model.py --allreduce 2=ar2.txt --allreduce 3=ar3.txt --allreduce 4=ar4.txt \\
                   --train 2=mlp_none.txt --train 2=mlp_bf16.txt ... [--rate-gbit 1]

Prints the fit, the model's error on every measurement it was given, and the predicted ms/step
and efficiency at 8-512 nodes for 1, 10 and 100 Gbit/s, ring and tree.
"""
import argparse
import math
import re
import sys


def read_allreduce(path):
    """(bytes, seconds) of the bucketed path (what training uses) of a gan_bench allreduce output."""
    points = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 11 and fields[0].isdigit():
                bucketed_us = float(fields[3])
                if bucketed_us > 0:
                    points.append((int(fields[0]), bucketed_us * 1e-6))
    if not points:
        sys.exit(f"scaling_model.py: {path}: no gan_bench allreduce rows (11 columns) found")
    return points


def read_train(path):
    """compute ms (1 rank alone), measured ms/step, world, bytes and allreduces per step, mode."""
    text = open(path).read()
    alone = re.search(r"1 rank alone\s+([\d.]+)", text)
    many = re.search(r"^\s*(\d+) rank\(s\)\s+([\d.]+)", text, re.M)
    wire = re.search(r"gradients per step: (\d+) bytes in ([\d.]+) allreduces \(--comm.compress=(\w+)\)", text)
    if not (alone and many and wire):
        sys.exit(f"scaling_model.py: {path}: not a gan_bench train output with a 'gradients per step' line")
    return {"compute_ms": float(alone.group(1)), "world": int(many.group(1)), "step_ms": float(many.group(2)),
            "bytes": int(wire.group(1)), "allreduces": float(wire.group(2)), "mode": wire.group(3)}


def ring_terms(p, size):
    return 2.0 * (p - 1), 2.0 * (p - 1) / p * size


def tree_terms(p, size):
    return 2.0 * math.ceil(math.log2(p)), 2.0 * size


def fit(points, from_bytes, latency_up_to=4096):
    """alpha from the smallest messages, beta by least squares on the relative error of the large
    ones; each estimate takes the other's term out, alternating until both settle."""
    small = [(p, size, seconds) for p, size, seconds in points if size <= latency_up_to]
    large = [(p, size, seconds) for p, size, seconds in points if size >= from_bytes]
    if not small:
        sys.exit(f"scaling_model.py: no allreduce of {latency_up_to} bytes or less to fit the latency on")
    if not large:
        sys.exit(f"scaling_model.py: no allreduce of {from_bytes} bytes or more to fit the bandwidth on")
    alpha = beta = 0.0
    for _ in range(20):
        alpha = sum((seconds - beta * ring_terms(p, size)[1]) / ring_terms(p, size)[0]
                    for p, size, seconds in small) / len(small)
        num = den = 0.0
        for p, size, seconds in large:
            latency, per_byte = ring_terms(p, size)
            x = per_byte / seconds
            num += x * (seconds - alpha * latency) / seconds
            den += x * x
        beta = num / den
    return max(alpha, 0.0), beta


def allreduce_seconds(terms, alpha, beta, p, size):
    x1, x2 = terms(p, size)
    return alpha * x1 + beta * x2


def step_ms(run, terms, alpha, beta, p, cpu_per_byte=0.0):
    latency, _ = terms(p, 0)
    _, bandwidth = terms(p, run["bytes"])
    return run["compute_ms"] + 1e3 * (run["allreduces"] * latency * alpha + bandwidth * beta + run["bytes"] * cpu_per_byte)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allreduce", action="append", default=[], metavar="NODES=FILE", required=True)
    parser.add_argument("--check-allreduce", action="append", default=[], metavar="NODES=FILE")
    parser.add_argument("--train", action="append", default=[], metavar="NODES=FILE")
    parser.add_argument("--rate-gbit", type=float, default=1.0, help="link rate of the measurements")
    parser.add_argument("--fit-from-bytes", type=int, default=1 << 20)
    parser.add_argument("--nodes", default="8,16,32,64,128,256,512")
    parser.add_argument("--rates-gbit", default="1,10,100")
    parser.add_argument("--straggler-every", type=int, default=100, help="--monitor.straggler_every to cost")
    args = parser.parse_args()

    points = []
    for spec in args.allreduce:
        nodes, _, path = spec.partition("=")
        points += [(int(nodes), size, seconds) for size, seconds in read_allreduce(path)]
    alpha, beta = fit(points, args.fit_from_bytes)
    for spec in args.check_allreduce:
        nodes, _, path = spec.partition("=")
        points += [(int(nodes), size, seconds) for size, seconds in read_allreduce(path)]
    link_bytes_per_s = args.rate_gbit * 1e9 / 8
    fitted_nodes = sorted({int(spec.partition("=")[0]) for spec in args.allreduce})
    fitted = sum(1 for spec in args.allreduce for size, _ in read_allreduce(spec.partition("=")[2])
                 if size >= args.fit_from_bytes)
    print(f"fit on {fitted} allreduces of {args.fit_from_bytes} bytes and more ({fitted_nodes} nodes, {args.rate_gbit:g} Gbit/s): "
          f"alpha {alpha * 1e6:.1f} us per message step, beta {beta * 1e9:.3f} ns/byte = "
          f"{1 / beta / 1e9:.4f} GB/s = {1 / beta / link_bytes_per_s:.2f} of the link")

    print("\nmodel against measured allreduces (ring model; Open MPI picks its algorithm by size)")
    print(f"{'nodes':>5} {'bytes':>10} {'measured us':>12} {'ring us':>10} {'error':>7} {'tree us':>10} {'error':>7}")
    worst = {}
    for p, size, seconds in points:
        ring = allreduce_seconds(ring_terms, alpha, beta, p, size)
        tree = allreduce_seconds(tree_terms, alpha, beta, p, size)
        error = (ring - seconds) / seconds
        if size >= 1 << 20:
            worst[p] = max(worst.get(p, 0.0), abs(error))
        print(f"{p:5d} {size:10d} {seconds * 1e6:12.1f} {ring * 1e6:10.1f} {100 * error:+6.1f}% "
              f"{tree * 1e6:10.1f} {100 * (tree - seconds) / seconds:+6.1f}%")
    for p in sorted(worst):
        print(f"largest ring-model error from 1 MiB up, {p} nodes: {100 * worst[p]:.1f}%")

    runs = []
    for spec in args.train:
        nodes, _, path = spec.partition("=")
        run = read_train(path)
        run["nodes"] = int(nodes)
        runs.append(run)
    if not runs:
        return
    # What the alpha-beta terms miss in a step: with one core per node, TCP's copies and the
    # communication thread take the training thread's core, a cost per byte sent. Fitted on the
    # 2-node runs, checked on the 3- and 4-node ones.
    two = [r for r in runs if r["nodes"] == 2]
    cpu_per_byte = 0.0
    if two:
        cpu_per_byte = sum((r["step_ms"] - step_ms(r, ring_terms, alpha, beta, 2)) * 1e-3 / r["bytes"] for r in two) / len(two)
        cpu_per_byte = max(cpu_per_byte, 0.0)
    print(f"\nshared-core cost per byte sent, fitted on the 2-node steps: {cpu_per_byte * 1e9:.2f} ns/byte")
    print("model against measured training steps (ring; 2 nodes fitted the cost per byte, 3-4 nodes check it)")
    print(f"{'nodes':>5} {'mode':>9} {'compute ms':>10} {'bytes/step':>10} {'allreduces':>10} "
          f"{'measured ms':>11} {'model ms':>9} {'error':>7}")
    for run in runs:
        model = step_ms(run, ring_terms, alpha, beta, run["nodes"], cpu_per_byte)
        print(f"{run['nodes']:5d} {run['mode']:>9} {run['compute_ms']:10.2f} {run['bytes']:10d} {run['allreduces']:10.1f} "
              f"{run['step_ms']:11.2f} {model:9.2f} {100 * (model - run['step_ms']) / run['step_ms']:+6.1f}%")

    nodes = [int(n) for n in args.nodes.split(",")]
    print("\npredicted ms/step (weak-scaling efficiency = 1-rank step / step) — predictions, not measurements;")
    print("nodes whose communication does not take the training thread's core (no cost per byte), no overlap")
    header = " ".join(f"{n:>13d}" for n in nodes)
    print(f"{'mode':>9} {'link':>9} {'algo':>5} {header}")
    seen = set()
    for run in runs:
        if run["mode"] in seen:
            continue
        seen.add(run["mode"])
        for rate in [float(r) for r in args.rates_gbit.split(",")]:
            scaled_beta = beta * args.rate_gbit / rate
            for name, terms in (("ring", ring_terms), ("tree", tree_terms)):
                cells = []
                for p in nodes:
                    ms = step_ms(run, terms, alpha, scaled_beta, p)
                    cells.append(f"{ms:7.1f} ({run['compute_ms'] / ms:.2f})")
                print(f"{run['mode']:>9} {rate:>5g} Gb/s {name:>5} " + " ".join(f"{c:>13}" for c in cells))

    # The per-rank step timing (--monitor.straggler_every): every N steps one gather of 16 bytes
    # per rank to rank 0 (binomial tree: ceil(log2 p) message steps, (p - 1) * 16 bytes arrive at
    # the root), spread over the N steps, as a share of the slowest predicted step's compute.
    every = args.straggler_every
    if runs and every > 0:
        compute_ms = min(run["compute_ms"] for run in runs)
        print(f"\nper-rank step timing, --monitor.straggler_every={every}: one gather of 16 bytes per rank, "
              f"per step and as a share of a {compute_ms:.2f} ms step (the least compute measured)")
        cells = []
        for p in nodes:
            gather_ms = 1e3 * (math.ceil(math.log2(p)) * alpha + 16 * (p - 1) * beta)
            cells.append(f"{gather_ms / every * 1e3:6.2f} us {100 * gather_ms / every / compute_ms:.3f}%")
        print(" ".join(f"{n:>8d}: {c}" for n, c in zip(nodes, cells)))


if __name__ == "__main__":
    main()
