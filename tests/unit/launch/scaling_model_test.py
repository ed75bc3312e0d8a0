#!/usr/bin/env python3
"""The scaling model's fit recovers a known latency, bandwidth and per-byte cost, and costs the
straggler timing's gather.

Writes gan_bench-shaped outputs generated from the model itself (alpha 20 us, beta 8 ns/byte,
a shared-core cost of 3 ns/byte, tbf-like fast small messages that must be left out of the
bandwidth fit), runs launch/cluster/scaling_model.py on them and checks what it prints.
Usage: scaling_model_test.py PATH/TO/scaling_model.py
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ALPHA, BETA, CPU_PER_BYTE = 20e-6, 8e-9, 3e-9


def ring_seconds(p, size):
    return 2 * (p - 1) * ALPHA + 2 * (p - 1) / p * size * BETA


def allreduce_text(p):
    lines = ["# gan_bench allreduce: synthetic"]
    size = 1024
    while size <= 16 << 20:
        seconds = ring_seconds(p, size)
        if 4096 < size < (1 << 20):
            seconds *= 0.3  # below tbf's burst: faster than the link, and not fitted
        us = seconds * 1e6
        lines.append(f"{size:13d} {size // 4:9d} {1:8d} {us:9.3f} {0.0:12.2f} {0.0:11.2f} {us:9.3f} "
                     f"{0.0:6.2f} {0.0:6.2f} {100.0:6.1f} {0:7d}")
        size *= 2
    return "\n".join(lines) + "\n"


def train_text(p, mode, compute_ms, size, allreduces):
    step_ms = compute_ms + 1e3 * (allreduces * 2 * (p - 1) * ALPHA + 2 * (p - 1) / p * size * BETA
                                  + size * CPU_PER_BYTE)
    return (f"  1 rank alone  {compute_ms:8.3f}    1.000         0.000  0.100      10000\n"
            f"{p:3d} rank(s)     {step_ms:8.3f}    1.000         0.000  0.100      10000\n"
            f"gradients per step: {size} bytes in {allreduces} allreduces (--comm.compress={mode})\n")


def main():
    model = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "ar2.txt").write_text(allreduce_text(2))
        (folder / "ar4.txt").write_text(allreduce_text(4))
        (folder / "none.txt").write_text(train_text(2, "none", 5.0, 2_000_000, 2))
        (folder / "bf16.txt").write_text(train_text(2, "bf16", 5.5, 1_000_000, 2))
        (folder / "psgd4.txt").write_text(train_text(4, "powersgd", 6.0, 60_000, 6))
        out = subprocess.run([sys.executable, model, "--allreduce", f"2={folder / 'ar2.txt'}",
                              "--check-allreduce", f"4={folder / 'ar4.txt'}", "--train", f"2={folder / 'none.txt'}",
                              "--train", f"2={folder / 'bf16.txt'}", "--train", f"4={folder / 'psgd4.txt'}"],
                             capture_output=True, text=True, check=True).stdout
    failures = []
    fit = re.search(r"alpha ([\d.]+) us per message step, beta ([\d.]+) ns/byte", out)
    if not fit or abs(float(fit.group(1)) - 20.0) > 0.2 or abs(float(fit.group(2)) - 8.0) > 0.01:
        failures.append("alpha/beta not recovered")
    cost = re.search(r"fitted on the 2-node steps: ([\d.]+) ns/byte", out)
    if not cost or abs(float(cost.group(1)) - 3.0) > 0.05:
        failures.append("cost per byte not recovered")
    # The 4-node allreduces and the 4-node PowerSGD step were not fitted: the model predicts them.
    for p_worst in re.findall(r"from 1 MiB up, 4 nodes: ([\d.]+)%", out):
        if float(p_worst) > 0.5:
            failures.append(f"4-node allreduce error {p_worst}%")
    step = re.search(r"^\s*4\s+powersgd .* ([+-][\d.]+)%$", out, re.M)
    if not step or abs(float(step.group(1))) > 0.5:
        failures.append("4-node step not predicted")
    # The straggler timing's gather at 512 ranks: 9 alpha + 511 * 16 bytes * beta, over 100 steps,
    # as a share of the least compute (5 ms).
    gather_us = (9 * 20e-6 + 511 * 16 * 8e-9) * 1e6 / 100
    gather = re.search(r"\b512: +([\d.]+) us ([\d.]+)%", out)
    if not gather or abs(float(gather.group(1)) - gather_us) > 0.01 or \
            abs(float(gather.group(2)) - 100 * gather_us / 5000) > 0.001:
        failures.append(f"straggler gather at 512 ranks not {gather_us:.2f} us")
    for needle in ("512", "tree", "ring", "100 Gb/s"):
        if needle not in out:
            failures.append(f"prediction table lacks '{needle}'")
    if failures:
        print(out)
        sys.exit("scaling_model_test: " + "; ".join(failures))
    print("scaling_model_test: fit and predictions recovered")


if __name__ == "__main__":
    main()
