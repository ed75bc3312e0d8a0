"""Networks written in PyTorch, trained by gan_dist (--model.arch=torchscript): each guarantee of
docs/bring-your-own-networks.md checked as its own CTest entry (scripted.<case>), with modules
scripted here by Debian's python3-torch. Exits 77 (CTest: skipped) when torch is missing.

usage: scripted_networks_test.py BUILD_DIR SOURCE_DIR CASE
"""
import json
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_runs import TrainingRuns, assert_same_state, losses, metrics, run_case, scripted, test_arguments  # noqa: E402,E501

import torch  # noqa: E402  (after training_runs, which skips the test without it)
from torch import nn  # noqa: E402

build, source, case, work = test_arguments("scripted_networks_test")
sys.path.insert(0, os.path.join(source, "configs", "networks"))
import reference_mlp  # noqa: E402  (the example the docs and the shipped config use)

# The shipped config as it is (its timeline included: a refused run must not have written it yet).
BASE = ["--config", f"{source}/configs/fashion_mnist_mlp.ini", "--output.log_every=5", "--output.sample_every=0",
        "--train.threads=1"]


runs = TrainingRuns(build, work)
run, exported_state = runs.run, runs.exported_state


def save(module, name):
    path = os.path.join(work, name)
    torch.jit.script(module).save(path)
    return path


def reference_pair(name="ref", seed=1, classes=0, hidden=256, image_shape=(1, 28, 28)):
    """The reference MLP saved as G and D, and its weights as a state dict (--model.init_from)."""
    torch.manual_seed(seed)
    g, d = reference_mlp.build(classes, hidden=hidden, image_shape=image_shape)
    weights = os.path.join(work, f"{name}_weights.pt")
    torch.save({"generator": g.state_dict(), "discriminator": d.state_dict()}, weights)
    return save(g, f"{name}_G.pt"), save(d, f"{name}_D.pt"), weights


# ---- networks the cases need beyond the reference MLP -------------------------------------------

class NoisyGenerator(nn.Module):
    """Draws in its forward: a noise input per layer (as StyleGAN's), scaled by a learned weight."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100, 128)
        self.fc2 = nn.Linear(128, 784)
        self.noise_strength = nn.Parameter(torch.full([1], 0.1))

    def forward(self, z):
        h = torch.relu(self.fc1(z))
        h = h + self.noise_strength * torch.randn_like(h)
        return torch.tanh(self.fc2(h)).view(z.size(0), 1, 28, 28)


class DropoutDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                  nn.Linear(128, 1))

    def forward(self, x):
        return self.main(x)


class BatchNormGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(100, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 784), nn.Tanh())

    def forward(self, z):
        return self.main(z).view(z.size(0), 1, 28, 28)


class BatchNormDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128),
                                  nn.BatchNorm1d(128), nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, x):
        return self.main(x)


class PointGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(100, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2))

    def forward(self, z):
        return self.main(z)


class PointDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 1))

    def forward(self, x):
        return self.main(x)


# ---- the cases ------------------------------------------------------------------------------------

def case_same_as_builtin():
    """The reference MLP scripted gives --model.arch=mlp's losses and weights bit for bit, at 1 and
    2 ranks over 200 steps, from the same initial weights."""
    g, d, weights = reference_pair()
    for ranks in (1, 2):
        common = BASE + ["--train.max_steps=200", "--output.checkpoint_every=200", f"--train.batch_size={64 // ranks}",
                         "--comm.check_every=50"]
        native, mine = os.path.join(work, f"native{ranks}"), os.path.join(work, f"scripted{ranks}")
        run(common + [f"--output.dir={native}", f"--model.init_from={weights}"], ranks)
        run(common + [f"--output.dir={mine}"] + scripted(g, d), ranks)
        assert losses(native) == losses(mine), f"{ranks} rank(s): losses differ\n{losses(native)}\n{losses(mine)}"
        assert len(losses(mine)) == 40
        assert_same_state(exported_state(f"{native}/checkpoints/latest", f"native{ranks}"),
                          exported_state(f"{mine}/checkpoints/latest", f"scripted{ranks}"), f"{ranks} rank(s)")
        print(f"{ranks} rank(s): 200 steps, losses and final weights identical to the built-in mlp")


def case_traced_modules():
    """torch.jit.trace'd networks train like scripted ones: the same losses from the same weights."""
    torch.manual_seed(1)
    g, d = reference_mlp.build(hidden=64)
    traced_g = torch.jit.trace(g, torch.randn(2, 100))
    traced_d = torch.jit.trace(d, torch.randn(2, 1, 28, 28))
    traced_g.save(os.path.join(work, "traced_G.pt"))
    traced_d.save(os.path.join(work, "traced_D.pt"))
    common = BASE + ["--train.max_steps=10", "--model.hidden_dim=64"]
    run(common + [f"--output.dir={work}/traced"] + scripted(f"{work}/traced_G.pt", f"{work}/traced_D.pt"))
    run(common + [f"--output.dir={work}/scripted"] + scripted(save(g, "G.pt"), save(d, "D.pt")))
    assert losses(f"{work}/traced") == losses(f"{work}/scripted"), (losses(f"{work}/traced"), losses(f"{work}/scripted"))
    print("traced = scripted:", losses(f"{work}/traced")[-1])


def case_world_size_invariance():
    """One rank at batch 64 and two at 32 train the same trajectory (a network with no batch
    statistics and no random draws in its forward)."""
    g, d, _ = reference_pair()
    runs = {}
    for ranks in (1, 2):
        out = os.path.join(work, f"ranks{ranks}")
        run(BASE + ["--train.max_steps=30", f"--train.batch_size={64 // ranks}", f"--output.dir={out}"] +
            scripted(g, d), ranks)
        runs[ranks] = losses(out)
    for (s1, d1, g1), (s2, d2, g2) in zip(runs[1], runs[2]):
        assert s1 == s2 and math.isclose(d1, d2, rel_tol=1e-4) and math.isclose(g1, g2, rel_tol=1e-4), \
            f"step {s1}: 1 rank {d1} {g1}, 2 ranks {d2} {g2}"
    print("1 x 64 and 2 x 32 agree within 1e-4 over 30 steps:", runs[1][-1], runs[2][-1])


def resume_matches_straight_run(g, d, ranks, name, check_every=5):
    common = BASE + ["--train.batch_size=32", "--output.checkpoint_every=10", f"--comm.check_every={check_every}"] + \
        scripted(g, d)
    straight, resumed = os.path.join(work, name + "_straight"), os.path.join(work, name + "_resumed")
    run(common + ["--train.max_steps=20", f"--output.dir={straight}"], ranks)
    run(common + ["--train.max_steps=10", f"--output.dir={resumed}"], ranks)
    run(common + ["--train.max_steps=20", f"--output.dir={resumed}"], ranks)
    assert losses(straight)[-2:] == losses(resumed)[-2:], f"{losses(straight)}\n{losses(resumed)}"
    assert_same_state(exported_state(f"{straight}/checkpoints/latest", name + "_s"),
                      exported_state(f"{resumed}/checkpoints/latest", name + "_r"), name)
    return exported_state(f"{straight}/checkpoints/latest", name + "_s2")


def case_exact_resume_with_randomness():
    """Noise inputs in G and dropout in D draw in every forward; a run stopped at step 10 and
    resumed ends with the bits of one that never stopped, at 2 ranks, replicas checked."""
    g, d = save(NoisyGenerator(), "noisy_G.pt"), save(DropoutDiscriminator(), "dropout_D.pt")
    resume_matches_straight_run(g, d, 2, "random")
    print("dropout and noise inputs: resumed run identical to the straight run")


def case_batchnorm_buffers():
    """Batch norm's running statistics: in the checkpoint, equal on every rank (the replica check
    covers buffers, every step), restored on resume; R1 with batch norm in D is refused."""
    g, d = save(BatchNormGenerator(), "bn_G.pt"), save(BatchNormDiscriminator(), "bn_D.pt")
    state = resume_matches_straight_run(g, d, 2, "bn", check_every=1)
    stats = state["generator"]["main.1.running_mean"]
    assert stats.abs().sum() > 0, "running statistics never moved"
    assert int(state["generator"]["main.1.num_batches_tracked"]) == 20, state["generator"]["main.1.num_batches_tracked"]
    print("batch norm buffers: checkpointed, replicated, resumed")


def case_compression():
    """Every --comm.compress mode trains scripted networks at 2 ranks with replicas checked."""
    g, d, _ = reference_pair(hidden=64)
    for mode in ("none", "bf16", "fp16", "powersgd"):
        out = os.path.join(work, mode)
        run(BASE + ["--train.max_steps=12", "--train.batch_size=16", "--comm.check_every=4", "--model.hidden_dim=64",
                    f"--comm.compress={mode}", f"--output.dir={out}"] + scripted(g, d), 2)
        assert len(losses(out)) >= 2 and all(math.isfinite(l) for _, l, _ in losses(out))
        print(mode, "ok:", losses(out)[-1])


def case_losses_and_penalties():
    """Every loss, R1 (double backward through the scripted D) with the EMA of G, at 2 ranks."""
    g, d, _ = reference_pair(hidden=64)
    for extra in (["--train.loss=minimax"], ["--train.loss=hinge"], ["--train.loss=wgan-gp", "--train.d_steps=2"],
                  ["--train.r1_gamma=1", "--train.r1_interval=2", "--train.ema_halflife_k=1"]):
        out = os.path.join(work, extra[0].split("=")[0].strip("-").replace(".", "_") + "_" + extra[0].split("=")[1])
        run(BASE + ["--train.max_steps=10", "--train.batch_size=16", "--comm.check_every=5",
                    f"--output.dir={out}", "--output.checkpoint_every=10"] + extra + scripted(g, d), 2)
        assert all(math.isfinite(l) for _, l, _ in losses(out)), losses(out)
        print(" ".join(extra), "ok:", losses(out)[-1])
    ema = os.path.join(work, "train_r1_gamma_1/checkpoints/latest/ema_G.pt")
    assert os.path.exists(ema), "the EMA run kept no ema_G.pt"


def case_conditional_and_ada():
    """Class-conditional scripted networks (labels as the second input) with ADA at 2 ranks; gan_sample
    draws each class."""
    g, d, _ = reference_pair(classes=10, hidden=64)
    out = os.path.join(work, "run")
    run(BASE + ["--train.max_steps=12", "--train.batch_size=16", "--comm.check_every=4", "--model.conditional=true",
                "--train.ada_target=0.6", "--train.ada_interval=2", "--output.checkpoint_every=12",
                f"--output.dir={out}"] + scripted(g, d), 2)
    assert any("ada_p" in m or "augment_p" in m for m in metrics(out)), metrics(out)[-1]
    samples = os.path.join(work, "samples.png")
    result = run(["--checkpoint", f"{out}/checkpoints/latest", "--out", samples, "--n", "20", "--class", "3"],
                 program=runs.program("gan_sample"))
    assert os.path.getsize(samples) > 0, result.stdout
    print("conditional + ADA ok; gan_sample drew class 3")


def case_evaluation_and_samples():
    """Evaluation during training and sample images for scripted networks (2-D points: no classifier
    needed), at 2 ranks."""
    g, d = save(PointGenerator(), "points_G.pt"), save(PointDiscriminator(), "points_D.pt")
    out = os.path.join(work, "run")
    run(["--config", f"{source}/configs/ring8_mlp.ini", "--model.latent_dim=100", "--train.max_steps=40", "--output.log_every=10",
         "--output.sample_every=20", "--eval.every=20", "--eval.samples=512",
         f"--output.dir={out}"] + scripted(g, d), 2)
    with open(os.path.join(out, "metrics.jsonl")) as f:
        evaluations = [json.loads(line) for line in f if "modes" in line or "high_quality" in line]
    assert evaluations, "no evaluation in metrics.jsonl"
    assert os.listdir(os.path.join(out, "samples")), "no samples written"
    evaluated = run(["checkpoint", "--checkpoint", f"{out}/checkpoints/latest", "--samples", "512"],
                    program=runs.program("gan_eval"))
    assert "modes" in evaluated.stdout, evaluated.stdout
    print("evaluation:", {k: v for k, v in evaluations[-1].items() if "mode" in k or "quality" in k})


def case_export():
    """gan_export writes the trained modules back: the TorchScript G gives gan_sample's samples for
    gan_sample's z, and the state dicts load strictly into the Python classes."""
    g, d, _ = reference_pair(hidden=64)
    out = os.path.join(work, "run")
    run(BASE + ["--train.max_steps=6", "--model.hidden_dim=64", "--output.checkpoint_every=6",
                f"--output.dir={out}"] + scripted(g, d))
    exported = os.path.join(work, "exported")
    run(["--checkpoint", f"{out}/checkpoints/latest", "--out", exported], program=runs.program("gan_export"))
    npy = os.path.join(work, "samples.npy")
    z_file = os.path.join(work, "z.npy")
    run(["--checkpoint", f"{out}/checkpoints/latest", "--out", npy, "--format", "npy", "--n", "8",
         "--noise-out", z_file], program=runs.program("gan_sample"))
    import numpy as np
    samples = torch.from_numpy(np.load(npy))
    z = torch.from_numpy(np.load(z_file))
    generator = torch.jit.load(os.path.join(exported, "generator.torchscript.pt")).eval()
    with torch.no_grad():
        mine = generator(z).reshape(samples.shape)
    assert torch.allclose(mine, samples, atol=1e-6), (mine - samples).abs().max()
    python_g, python_d = reference_mlp.build(hidden=64)
    python_g.load_state_dict(torch.load(os.path.join(exported, "generator.state_dict.pt")), strict=True)
    python_d.load_state_dict(torch.load(os.path.join(exported, "discriminator.state_dict.pt")), strict=True)
    meta = json.load(open(os.path.join(exported, "export.json")))
    assert meta["architecture"] == "torchscript" and meta["classes"] == 0, meta
    assert generator.latent_dim == 100 and generator.classes == 0
    print("export: TorchScript G reproduces gan_sample's samples; state dicts load into the Python classes")


def case_elastic_resume_and_stragglers():
    """A 2-rank run resumed on 1 rank (what an elastic relaunch after a lost node does: the global
    batch kept) continues the trajectory a 1-rank run takes; the 2-rank part records per-rank step
    times (stragglers.jsonl)."""
    g, d, _ = reference_pair(hidden=64)
    common = BASE + ["--model.hidden_dim=64", "--output.checkpoint_every=10"] + scripted(g, d)
    alone, elastic = os.path.join(work, "alone"), os.path.join(work, "elastic")
    run(common + ["--train.max_steps=20", "--train.batch_size=64", f"--output.dir={alone}"])
    run(common + ["--train.max_steps=10", "--train.batch_size=32", "--monitor.straggler_every=2",
                  f"--output.dir={elastic}"], 2)
    with open(os.path.join(elastic, "stragglers.jsonl")) as f:
        windows = [json.loads(line) for line in f if line.strip()]
    assert windows, "no per-rank step timing recorded"
    result = run(common + ["--train.max_steps=20", "--train.batch_size=32", f"--output.dir={elastic}"], 1)
    assert "resuming a 2-rank run on 1 rank" in result.stdout + result.stderr, result.stdout[-2000:]
    (s1, d1, g1), (s2, d2, g2) = losses(alone)[-1], losses(elastic)[-1]
    assert s1 == s2 == 20 and math.isclose(d1, d2, rel_tol=1e-4) and math.isclose(g1, g2, rel_tol=1e-4), \
        (losses(alone), losses(elastic))
    print(f"2 ranks -> 1 rank at step 10: step 20 losses {d2:.6f} {g2:.6f}, alone {d1:.6f} {g1:.6f};",
          len(windows), "straggler windows")


def case_docs_examples():
    """Every code block of docs/bring-your-own-networks.md's worked example, as written, from a
    directory laid out like the repository root (configs/, build/)."""
    page = open(os.path.join(source, "docs", "bring-your-own-networks.md")).read()
    section = page[page.index("## A worked example"):page.index("## What holds")]
    blocks = re.findall(r"```(python|sh)\n(.*?)```", section, re.S)
    assert len(blocks) >= 6, blocks
    os.symlink(os.path.join(source, "configs"), os.path.join(work, "configs"))
    os.symlink(build, os.path.join(work, "build"))
    python_dir = os.path.join(work, "python_bin")  # `python3` in the blocks: this interpreter (has torch)
    os.makedirs(python_dir)
    os.symlink(sys.executable, os.path.join(python_dir, "python3"))
    env = dict(os.environ, PATH=python_dir + os.pathsep + os.environ["PATH"], OMP_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    for number, (language, code) in enumerate(blocks):
        if language == "python":
            first = code.splitlines()[0]
            named = first.startswith("# ") and first.endswith(".py")
            path = os.path.join(work, first[2:] if named else f"block{number}.py")
            with open(path, "w") as f:
                f.write(code)
            if named:
                continue  # a module the next blocks run or import
            command = [sys.executable, path]
        else:
            command = ["bash", "-euo", "pipefail", "-c", code]
        result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"block {number} failed:\n{code}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        print(f"block {number} ({language}) ok")
    steps = [m["step"] for m in metrics(os.path.join(work, "runs", "mine"))]
    assert steps[-1] == 400, steps
    assert os.path.getsize(os.path.join(work, "mine.png")) > 0


def refused(args, expected, name):
    out = os.path.join(work, "refused_" + name)
    result = run(BASE + ["--train.max_steps=3", f"--output.dir={out}"] + args, expect_ok=False)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode != 0, f"{name}: accepted"
    assert len(errors) == 1 and re.search(expected, errors[0]), f"{name}: {result.stderr}"
    written = [os.path.join(r, f) for r, _, files in os.walk(out) for f in files] if os.path.exists(out) else []
    assert not written, f"{name}: wrote {written}"
    print(f"{name}: {errors[0]}")


def case_refusals():
    """Every module that breaks the contract ends the run before step 1 with one line naming the
    file and what was expected, and nothing written."""
    g, d, weights = reference_pair()
    cg, cd, _ = reference_pair("conditional", classes=10)

    class WrongShape(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(100, 100)

        def forward(self, z):
            return self.fc(z)

    class FlatLogits(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 1)

        def forward(self, x):
            return self.fc(x.flatten(1)).squeeze(1)

    class NoParameters(nn.Module):
        def forward(self, z):
            return torch.tanh(z[:, :1]).expand(z.size(0), 784).reshape(z.size(0), 1, 28, 28)

    class TupleOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(784, 1)

        def forward(self, x):
            return self.fc(x.flatten(1)), x

    class OtherLatent(reference_mlp.Generator):
        def __init__(self):
            super().__init__(latent_dim=64)

    bn_d = save(BatchNormDiscriminator(), "bn_D.pt")
    cases = [
        ("not_archive", scripted(weights, d), r"generator_file: .*ref_weights.pt is not a TorchScript archive"),
        ("missing_file", scripted(g, os.path.join(work, "nowhere.pt")), r"discriminator_file: .*nowhere.pt is not a file"),
        ("missing_option", ["--model.arch=torchscript", f"--model.generator_file={g}"],
         r"--model.arch=torchscript needs --model.discriminator_file"),
        ("file_without_arch", [f"--model.generator_file={g}"], r"--model.generator_file is read only with"),
        ("arity", scripted(cg, d), r"conditional_G.pt's forward takes 2 input\(s\); expected 1"),
        ("unconditional_in_conditional_run", ["--model.conditional=true"] + scripted(g, cd),
         r"ref_G.pt's forward takes 1 input\(s\); expected 2"),
        ("output_shape", scripted(save(WrongShape(), "wrong_shape.pt"), d),
         r"wrong_shape.pt: G\(z\) for z \[2, 100\] gave \[2, 100\]; expected \[2, 1, 28, 28\]"),
        ("logit_shape", scripted(g, save(FlatLogits(), "flat_logits.pt")),
         r"flat_logits.pt: D\(x\) .* gave \[2\]; expected logits \[2, 1\]"),
        ("double_parameters", scripted(save(reference_mlp.Generator().double(), "double.pt"), d),
         r"double.pt: parameter 'fc1.weight' is Double; expected float32"),
        ("no_parameters", scripted(save(NoParameters(), "no_parameters.pt"), d), r"no_parameters.pt has no parameters"),
        ("tuple_output", scripted(g, save(TupleOut(), "tuple.pt")), r"tuple.pt: forward returned Tuple; expected one"),
        ("latent_attribute", scripted(save(OtherLatent(), "latent64.pt"), d),
         r"latent64.pt has latent_dim = 64; expected --model.latent_dim=100"),
        ("bf16", ["--train.precision=bf16"] + scripted(g, d), r"--train.precision=bf16 .* scripted network"),
        ("sync_batchnorm", ["--model.batchnorm=sync"] + scripted(g, d), r"--model.batchnorm=sync needs gan_dist's own"),
        ("overlap", ["--comm.overlap_next_step=true"] + scripted(g, d), r"--comm.overlap_next_step .*--model.arch=torchscript"),
        ("penalty_with_batchnorm", ["--train.r1_gamma=1"] + scripted(g, bn_d), r"bn_D.pt has batch norm"),
    ]
    for name, args, expected in cases:
        refused(args, expected, name)


run_case(globals(), case)
