"""gan_export checked by PyTorch itself (Debian's python3-torch, the version of our LibTorch).

For every shipped config (the reference MLP, 2-D points with mlp2d, a DCGAN with batch norm on
28x28, a colour DCGAN on CIFAR-10-format files and on 64x64 icons with an EMA of G): train 3 steps,
export, and draw 16 samples and their z with gan_sample. Then in Python the
TorchScript generator and the docs' module loaded from the state dict must give gan_sample's
samples for that z within 1e-6, the TorchScript and module discriminators must agree, and every
code block of docs/pytorch.md runs as written. Exits 77 (CTest: skipped) when torch is missing.

usage: pytorch_export_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as missing:
    print(f"SKIPPED: needs python3-torch and python3-numpy ({missing}); launch/install_deps.sh installs them")
    sys.exit(77)

build, source = sys.argv[1], sys.argv[2]
work = os.path.join(build, "python_export_test")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

# CIFAR-10 is not in Debian: the shipped config trains here on files in its binary format.
cifar = os.path.join(work, "cifar")
os.makedirs(cifar)
for batch, count in (("data_batch_1.bin", 64), ("test_batch.bin", 16)):
    records = np.random.default_rng(count).integers(0, 256, size=(count, 3073), dtype=np.uint8)
    records[:, 0] %= 10
    records.tofile(os.path.join(cifar, batch))

# Every shipped config (small widths, 3 steps).
CASES = {
    "mlp": ["--config", f"{source}/configs/fashion_mnist_mlp.ini"],
    "ring8_points": ["--config", f"{source}/configs/ring8_mlp.ini"],
    "grid25_points": ["--config", f"{source}/configs/grid25_mlp.ini"],
    "cifar10_dcgan": ["--config", f"{source}/configs/cifar10_dcgan.ini", f"--data.path={cifar}", "--model.width=8",
                      "--train.batch_size=8", "--data.cache_dir=none"],
    "dcgan28_batchnorm": ["--config", f"{source}/configs/fashion_mnist_dcgan.ini", "--model.width=8"],
    "dcgan64_colour_ema": ["--config", f"{source}/configs/oxygen_icons_dcgan.ini", "--model.width=8",
                           "--train.batch_size=8"],
}
QUIET = ["--train.max_steps=3", "--output.log_every=0", "--output.sample_every=0", "--output.report=false",
         "--output.tensorboard=false", "--eval.every=0", "--output.resume=never"]


def run(*command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(command)}\n{result.stdout}")
    return result.stdout


def docs_blocks():
    text = open(os.path.join(source, "docs", "pytorch.md")).read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


failures = []


def check(what, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        failures.append(what)


blocks = docs_blocks()
check("docs/pytorch.md has its three code blocks", len(blocks) == 3, f"found {len(blocks)}")
for name, options in CASES.items():
    out = os.path.join(work, name)
    run(f"{build}/gan_dist", *options, *QUIET, f"--output.dir={out}")
    checkpoint = os.path.join(out, "checkpoints", "latest")
    run(f"{build}/gan_export", "--checkpoint", checkpoint, "--out", os.path.join(out, "export"))
    run(f"{build}/gan_sample", "--checkpoint", checkpoint, "--n", "16", "--format", "npy",
        "--out", os.path.join(out, "samples.npy"), "--noise-out", os.path.join(out, "z.npy"))
    z = torch.from_numpy(np.load(os.path.join(out, "z.npy")))
    expected = torch.from_numpy(np.load(os.path.join(out, "samples.npy")))

    # The docs' code, as written, from the run's directory (it reads export/...); the grid block
    # is for images, not 2-D points.
    images = expected.dim() == 4
    namespace = {}
    cwd = os.getcwd()
    os.chdir(out)
    try:
        for number, block in enumerate(blocks):
            if number == 1 and not images:
                continue
            exec(compile(block, f"docs/pytorch.md ({name})", "exec"), namespace)
    finally:
        os.chdir(cwd)
    if images:
        check(f"{name}: the docs' grid code wrote grid.png", os.path.exists(os.path.join(out, "grid.png")))

    scripted = torch.jit.load(os.path.join(out, "export", "generator.torchscript.pt"))
    with torch.no_grad():
        from_script = scripted(z)
        module = namespace["G"]
        from_module = module(z)
    check(f"{name}: TorchScript G has the samples' shape {tuple(expected.shape)}",
          tuple(from_script.shape) == tuple(expected.shape), str(tuple(from_script.shape)))
    if tuple(from_script.shape) == tuple(expected.shape):
        gap = (from_script - expected).abs().max().item()
        check(f"{name}: TorchScript G equals gan_sample within 1e-6", gap <= 1e-6, f"max difference {gap}")
        gap = (from_module - expected).abs().max().item()
        check(f"{name}: the docs' module with the state dict equals gan_sample within 1e-6", gap <= 1e-6,
              f"max difference {gap}")
    scripted_d = torch.jit.load(os.path.join(out, "export", "discriminator.torchscript.pt"))
    with torch.no_grad():
        a, b = scripted_d(expected), namespace["D"](expected)
    check(f"{name}: TorchScript D and the docs' D agree within 1e-6 (logits [16, 1])",
          tuple(a.shape) == (16, 1) and (a - b).abs().max().item() <= 1e-6)
    check(f"{name}: D's logits are not all equal (the check can tell networks apart)", a.std().item() > 0)
    check(f"{name}: G.latent_dim is z's width", scripted.latent_dim == z.shape[1])

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
