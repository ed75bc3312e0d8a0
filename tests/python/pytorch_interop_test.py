"""gan_export and --model.init_from checked by PyTorch itself (Debian's python3-torch, the version
of our LibTorch).

For every shipped config (the reference MLP, 2-D points with mlp2d, a DCGAN with batch norm on
28x28, a colour DCGAN on CIFAR-10-format files and on 64x64 icons with an EMA of G, the
class-conditional DCGAN and MLP): train 3 steps, export, and draw samples and their z with
gan_sample (conditional models: 2 of every class). Then in Python the
TorchScript generator and the docs' module loaded from the state dict must give gan_sample's
samples for that z (and those classes) within 1e-6, the TorchScript and module discriminators must agree, and every
code block of docs/pytorch.md runs as written. Import: weights made in Python with the docs'
modules (G's state dict, D's, or both in one dict) and the state dicts gan_export wrote start a
gan_dist run with exactly those weights, for every shipped config; bad files (a missing key, a wrong shape, a non-tensor, a truncated file) end the run
with one line naming the key or the file. Exits 77 (CTest: skipped) when torch is missing.

usage: pytorch_export_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys

try:
    import numpy as np
    import torch
except ImportError as missing:
    print(f"SKIPPED: needs python3-torch and python3-numpy ({missing}); launch/install_deps.sh installs them")
    sys.exit(77)

build, source = sys.argv[1], sys.argv[2]
work = os.path.join(build, "python_interop_test")
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
    "dcgan28_conditional": ["--config", f"{source}/configs/fashion_mnist_conditional_dcgan.ini", "--model.width=8"],
    "mlp_conditional": ["--config", f"{source}/configs/fashion_mnist_mlp.ini", "--model.conditional=true"],
}
CLASSES = 10  # Fashion-MNIST's, for the conditional cases
# The docs' code blocks: sampling, conditional sampling, the PNG grid, the modules.
SAMPLING, CONDITIONAL_SAMPLING, GRID, MODULES = range(4)


def conditional(name):
    return name.endswith("_conditional")


def sample_options(name):
    """gan_sample's options and the classes of the rows it draws (None: an unconditional model)."""
    if conditional(name):
        return ["--per-class", "2"], torch.arange(CLASSES).repeat_interleave(2)
    return ["--n", "16"], None


def apply(network, inputs, labels):
    """G(z) or D(x), with the labels as the second argument for a conditional model."""
    return network(inputs) if labels is None else network(inputs, labels)
QUIET = ["--output.log_every=0", "--output.sample_every=0", "--output.report=false",
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
# With GAN_DIST_STATE_DICT_CORPUS=DIR, every state dict this test makes (Python's torch.save and
# gan_export's) also goes to DIR as a seed of the state_dict fuzz target, its tensors' data zeroed
# and deflated so the seeds stay small (the archive's and pickle's structure is the file's own).
corpus = os.environ.get("GAN_DIST_STATE_DICT_CORPUS")


def seed_file(source, destination):
    import zipfile
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as seed:
        for entry in original.infolist():
            data = original.read(entry)
            if "/data/" in entry.filename:
                data = bytes(len(data))
            seed.writestr(entry.filename, data)


def check(what, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + what + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        failures.append(what)


blocks = docs_blocks()
check("docs/pytorch.md has its four code blocks", len(blocks) == 4, f"found {len(blocks)}")
for name, options in CASES.items():
    out = os.path.join(work, name)
    run(f"{build}/gan_dist", *options, *QUIET, "--train.max_steps=3", f"--output.dir={out}")
    checkpoint = os.path.join(out, "checkpoints", "latest")
    run(f"{build}/gan_export", "--checkpoint", checkpoint, "--out", os.path.join(out, "export"))
    sampled, labels = sample_options(name)
    run(f"{build}/gan_sample", "--checkpoint", checkpoint, *sampled, "--format", "npy",
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
            if (number == GRID and not images) or (number == SAMPLING and conditional(name)) or \
                    (number == CONDITIONAL_SAMPLING and not conditional(name)):
                continue
            exec(compile(block, f"docs/pytorch.md ({name})", "exec"), namespace)
    finally:
        os.chdir(cwd)
    if images:
        check(f"{name}: the docs' grid code wrote grid.png", os.path.exists(os.path.join(out, "grid.png")))

    scripted = torch.jit.load(os.path.join(out, "export", "generator.torchscript.pt"))
    with torch.no_grad():
        from_script = apply(scripted, z, labels)
        module = namespace["G"]
        from_module = apply(module, z, labels)
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
        a, b = apply(scripted_d, expected, labels), apply(namespace["D"], expected, labels)
    check(f"{name}: TorchScript D and the docs' D agree within 1e-6 (logits [{len(z)}, 1])",
          tuple(a.shape) == (len(z), 1) and (a - b).abs().max().item() <= 1e-6)
    check(f"{name}: D's logits are not all equal (the check can tell networks apart)", a.std().item() > 0)
    check(f"{name}: G.latent_dim is z's width", scripted.latent_dim == z.shape[1])
    check(f"{name}: G.classes and D.classes are the model's", scripted.classes == scripted_d.classes ==
          (CLASSES if conditional(name) else 0), f"{scripted.classes}, {scripted_d.classes}")
    if conditional(name):
        # The labels matter: other classes for the same z give other samples and logits.
        with torch.no_grad():
            other = (labels + 1) % CLASSES
            moved = (scripted(z, other) - expected).abs().max().item()
            moved_d = (scripted_d(expected, other) - a).abs().max().item()
        check(f"{name}: other classes give other samples and logits", moved > 1e-3 and moved_d > 0,
              f"{moved}, {moved_d}")



def expect_refusal(what, command, named):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    errors = [line for line in result.stdout.splitlines() if "error" in line]
    crashed = any(sign in result.stdout for sign in ("terminate called", "Segmentation fault", "core dumped"))
    check(f"import: {what} is refused in one line naming {named!r}",
          result.returncode != 0 and len(errors) == 1 and named in errors[0] and not crashed, result.stdout[-600:])


# Import: a run started from weights made in Python. A learning rate of 1e-30 keeps them through
# the one step the run needs to write a checkpoint: each weight moves by at most ~1e-30 (visible
# only where it was exactly 0, like a batch norm's bias).
for name in CASES:
    base = os.path.join(work, name)
    meta = __import__("json").load(open(os.path.join(base, "export", "export.json")))
    namespace = {}
    exec(compile(blocks[MODULES].split("meta = json.load")[0], "docs/pytorch.md (modules)", "exec"), namespace)
    torch.manual_seed(1234)
    G, D = namespace["build_generator"](meta), namespace["build_discriminator"](meta)
    both = os.path.join(base, "both.pt")
    torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, both)
    only_g = os.path.join(base, "g.pt")
    torch.save(G.state_dict(), only_g)
    only_d = os.path.join(base, "d.pt")
    torch.save(D.state_dict(), only_d)
    # What gan_export wrote (LibTorch's pickler) reads back: the round trip.
    exported_g = os.path.join(base, "export", "generator.state_dict.pt")
    exported_d = os.path.join(base, "export", "discriminator.state_dict.pt")
    python_g, python_d = G.state_dict(), D.state_dict()
    def same_weights(a, b):
        return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], rtol=0, atol=1e-25) for k in b)
    for source, label, want_g, want_d in ((both, "G and D", python_g, python_d), (only_g, "G", python_g, None),
                                          (only_d, "D", None, python_d),
                                          (exported_g, "G", torch.load(exported_g), None),
                                          (exported_d, "D", None, torch.load(exported_d))):
        tag = os.path.basename(source).split(".")[0]
        out = os.path.join(base, "init_" + tag)
        log = run(f"{build}/gan_dist", *CASES[name], *QUIET, "--train.max_steps=1", "--train.lr_g=1e-30",
                  "--train.lr_d=1e-30", f"--model.init_from={source}", f"--output.dir={out}")
        what = f"import {name} from {tag}"
        check(f"{what}: the log says it", f"initial weights of {label} from" in log)
        run(f"{build}/gan_export", "--checkpoint", os.path.join(out, "checkpoints", "latest"), "--out",
            os.path.join(out, "export"), "--raw-generator")
        loaded = torch.load(os.path.join(out, "export", "generator.state_dict.pt"))
        loaded_d = torch.load(os.path.join(out, "export", "discriminator.state_dict.pt"))
        for network, wanted, got in (("G", want_g, loaded), ("D", want_d, loaded_d)):
            if wanted is not None:
                check(f"{what}: {network}'s weights are the file's", same_weights(got, wanted))
            else:
                check(f"{what}: {network}'s weights are its own initialisation",
                      not same_weights(got, python_g if network == "G" else python_d))
        if source not in (both, only_g):
            continue  # gan_sample against Python's G once per way of saving G with torch.save
        sampled, labels = sample_options(name)
        run(f"{build}/gan_sample", "--checkpoint", os.path.join(out, "checkpoints", "latest"), *sampled, "--format",
            "npy", "--out", os.path.join(out, "x.npy"), "--noise-out", os.path.join(out, "z.npy"))
        with torch.no_grad():
            G.eval()
            reference = apply(G, torch.from_numpy(np.load(os.path.join(out, "z.npy"))), labels)
        produced = torch.from_numpy(np.load(os.path.join(out, "x.npy")))
        gap = (reference - produced).abs().max().item() if reference.shape == produced.shape else float("inf")
        check(f"{what}: gan_sample's images are Python's G's within 1e-6", gap <= 1e-6, f"max difference {gap}")
    if corpus:
        for source in (both, only_g, only_d, exported_g, exported_d):
            seed_file(source, os.path.join(corpus, f"{name}_{os.path.basename(source)}"))

    if name != "mlp":
        continue
    # Bad files: one line naming the key or the file, no crash.
    bad = os.path.join(base, "bad")
    os.makedirs(bad, exist_ok=True)
    state = G.state_dict()
    first = next(iter(state))
    missing = dict(state)
    del missing[first]
    torch.save(missing, os.path.join(bad, "missing.pt"))
    wrong_shape = dict(state)
    wrong_shape[first] = torch.zeros(3, 3)
    torch.save(wrong_shape, os.path.join(bad, "shape.pt"))
    not_tensor = dict(state)
    not_tensor[first] = 7
    torch.save(not_tensor, os.path.join(bad, "not_tensor.pt"))
    whole = open(only_g, "rb").read()
    open(os.path.join(bad, "truncated.pt"), "wb").write(whole[: len(whole) // 2])
    gan_dist = [f"{build}/gan_dist", *CASES[name], "--train.max_steps=1", f"--output.dir={bad}/out"]
    expect_refusal(f"{name}: a missing key", [*gan_dist, f"--model.init_from={bad}/missing.pt"], f"missing '{first}'")
    expect_refusal(f"{name}: a wrong shape", [*gan_dist, f"--model.init_from={bad}/shape.pt"], f"'{first}' has shape")
    expect_refusal(f"{name}: a non-tensor", [*gan_dist, f"--model.init_from={bad}/not_tensor.pt"],
                   f"'{first}' is not a tensor")
    expect_refusal(f"{name}: a truncated file", [*gan_dist, f"--model.init_from={bad}/truncated.pt"],
                   f"{bad}/truncated.pt")
    expect_refusal(f"{name}: a file that is not there", [*gan_dist, f"--model.init_from={bad}/absent.pt"],
                   f"{bad}/absent.pt")
    expect_refusal(f"{name}: together with --output.resume=PATH",
                   [*gan_dist, f"--model.init_from={only_g}", f"--output.resume={base}/checkpoints/latest"],
                   "--model.init_from and --output.resume=")

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
