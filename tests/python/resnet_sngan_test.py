"""The shipped ResNet GAN with spectral normalisation (configs/networks/resnet_sngan.py and the
configs that train it): each CTest entry resnet.<case> checks one promise of
docs/models-and-losses.md, on the shipped configs with narrower networks so that CI stays short.
Exits 77 (CTest: skipped) when torch is missing.

usage: resnet_sngan_test.py BUILD_DIR SOURCE_DIR CASE
"""
import math
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_runs import (TrainingRuns, assert_same_state, evaluations, losses, run_case, scripted,  # noqa: E402
                           test_arguments)

import torch  # noqa: E402  (after training_runs, which skips the test without it)

build, source, case, work = test_arguments("resnet_sngan_test")
runs = TrainingRuns(build, work)
SCRIPT = os.path.join(source, "configs", "networks", "resnet_sngan.py")
FASHION = os.path.join(source, "configs", "fashion_mnist_resnet_sngan.ini")
CONDITIONAL = os.path.join(source, "configs", "fashion_mnist_conditional_resnet_sngan.ini")
ICONS = os.path.join(source, "configs", "oxygen_icons_resnet_sngan.ini")
QUIET = ["--output.log_every=2", "--output.sample_every=0", "--eval.every=0", "--output.report=false"]


def networks(name, *script_args):
    """G and D written by the shipped script, as a user writes them (its command line)."""
    out = os.path.join(work, name)
    result = subprocess.run([sys.executable, SCRIPT, "--out", out] + [str(a) for a in script_args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return scripted(os.path.join(out, "generator.pt"), os.path.join(out, "discriminator.pt"))


def trained(config, networks_args, extra, ranks, name):
    out = os.path.join(work, name)
    given = {option.split("=")[0] for option in extra}
    quiet = [option for option in QUIET if option.split("=")[0] not in given]
    runs.run(["--config", config, f"--output.dir={out}"] + quiet + networks_args + extra, ranks)
    return out


def spectral_vectors(state):
    return {f"{net}.{key}": value for net in state for key, value in state[net].items()
            if key.endswith(".u") or key.endswith(".v")}


def case_script_refusals():
    """The script refuses shapes its blocks cannot fit, in one line; gan_dist refuses networks
    written for another data set before step 1, writing nothing."""
    for shape, expected in ((["1", "28", "14"], "expected square images"), (["1", "7", "7"], "must halve at least once")):
        result = subprocess.run([sys.executable, SCRIPT, "--out", os.path.join(work, "never"), "--shape"] + shape,
                                capture_output=True, text=True)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], result.stderr
        assert not os.path.exists(os.path.join(work, "never")), "wrote networks for a refused shape"
        print("refused:", lines[0])
    mnist_networks = networks("mnist", "--shape", 1, 28, 28, "--channels", 4)
    out = os.path.join(work, "icons_with_mnist_networks")
    result = runs.run(["--config", ICONS, f"--output.dir={out}", "--train.max_steps=2"] + QUIET + mnist_networks,
                      expect_ok=False)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode != 0 and len(errors) == 1, result.stderr
    assert re.search(r"generator.pt: G\(z\) for z \[2, 128\] gave \[2, 1, 28, 28\]; expected \[2, 3, 64, 64\]",
                     errors[0]), errors[0]
    assert not os.path.exists(out) or not any(files for _, _, files in os.walk(out)), "a refused run wrote files"
    print("refused:", errors[0])


def case_world_size_invariance():
    """One rank at batch 16 and two at 8 train the same trajectory with the shipped config's loss,
    optimiser and EMA: no batch statistics in G or D, spectral norm independent of the data."""
    nets = networks("nets", "--shape", 1, 28, 28, "--channels", 8)
    trajectories = {}
    for ranks in (1, 2):
        out = trained(FASHION, nets, ["--train.max_steps=12", f"--train.batch_size={16 // ranks}"], ranks, f"r{ranks}")
        trajectories[ranks] = losses(out)
    assert len(trajectories[1]) == 6, trajectories[1]
    for (s1, d1, g1), (s2, d2, g2) in zip(trajectories[1], trajectories[2]):
        assert s1 == s2 and math.isclose(d1, d2, rel_tol=1e-4, abs_tol=1e-5) and \
            math.isclose(g1, g2, rel_tol=1e-4, abs_tol=1e-5), f"step {s1}: 1 rank {d1} {g1}, 2 ranks {d2} {g2}"
    print("1 x 16 and 2 x 8 agree within 1e-4 over 12 steps:", trajectories[1][-1], trajectories[2][-1])


def case_plain_d_with_r1():
    """--d-norm none: D without spectral normalisation (no u, v buffers), held by lazy R1 instead,
    as StyleGAN2's residual D; its double backward through the scripted convolutions keeps 1 x 16
    and 2 x 8 on one trajectory."""
    nets = networks("plain", "--shape", 1, 28, 28, "--channels", 8, "--d-norm", "none")
    d = torch.jit.load(os.path.join(work, "plain", "discriminator.pt"))
    assert not [k for k in d.state_dict() if k.endswith(".u") or k.endswith(".v")], list(d.state_dict())
    recipe = ["--train.max_steps=12", "--train.loss=nonsaturating", "--train.r1_gamma=1", "--train.r1_interval=4"]
    trajectories = {}
    for ranks in (1, 2):
        out = trained(FASHION, nets, recipe + [f"--train.batch_size={16 // ranks}"], ranks, f"plain_r{ranks}")
        trajectories[ranks] = losses(out)
    for (s1, d1, g1), (s2, d2, g2) in zip(trajectories[1], trajectories[2]):
        assert s1 == s2 and math.isclose(d1, d2, rel_tol=1e-4, abs_tol=1e-5) and \
            math.isclose(g1, g2, rel_tol=1e-4, abs_tol=1e-5), f"step {s1}: 1 rank {d1} {g1}, 2 ranks {d2} {g2}"
    print("plain D with lazy R1: 1 x 16 and 2 x 8 agree within 1e-4 over 12 steps:", trajectories[2][-1])


def case_exact_resume():
    """A 2-rank run stopped at step 6 and resumed ends with the bits of one that never stopped:
    weights, EMA and D's spectral-norm vectors (buffers: checkpointed, and in the replica check
    every step)."""
    nets = networks("nets", "--shape", 1, 28, 28, "--channels", 8)
    common = ["--train.batch_size=8", "--output.checkpoint_every=6", "--comm.check_every=1"]
    straight = trained(FASHION, nets, common + ["--train.max_steps=12"], 2, "straight")
    trained(FASHION, nets, common + ["--train.max_steps=6"], 2, "resumed")
    resumed = trained(FASHION, nets, common + ["--train.max_steps=12"], 2, "resumed")
    assert losses(straight)[-3:] == losses(resumed)[-3:], f"{losses(straight)}\n{losses(resumed)}"
    a = runs.exported_state(f"{straight}/checkpoints/latest", "straight")
    b = runs.exported_state(f"{resumed}/checkpoints/latest", "resumed")
    assert_same_state(a, b, "resumed run")
    vectors = spectral_vectors(a)
    # D's seven layers at 28x28 (two blocks of three convolutions, the head): a u and a v each.
    assert len(vectors) == 14 and all(k.startswith("discriminator.") for k in vectors), sorted(vectors)
    initial = torch.jit.load(os.path.join(work, "nets", "discriminator.pt")).state_dict()
    # A vector of one element (the head's u, the first shortcut's v) is 1 for good.
    movable = {k for k, v in vectors.items() if v.numel() > 1}
    moved = {k for k in movable if not torch.allclose(vectors[k], initial[k[len("discriminator."):]])}
    assert moved == movable and len(movable) == 12, f"spectral-norm vectors that never moved: {movable - moved}"
    ema = os.path.join(straight, "checkpoints", "latest", "ema_G.pt")
    assert os.path.exists(ema), "the shipped config's EMA of G is not in the checkpoint"
    print(f"resumed = straight, bit for bit, the {len(vectors)} spectral-norm vectors (all moved) included")


def case_conditional():
    """The conditional config (class gains in G, projection D) trains at 2 ranks, and gan_sample
    draws a row per class."""
    nets = networks("nets", "--shape", 1, 28, 28, "--channels", 8, "--classes", 10)
    out = trained(CONDITIONAL, nets, ["--train.max_steps=6", "--train.batch_size=8", "--output.checkpoint_every=6"],
                  2, "run")
    assert all(math.isfinite(l) for _, l, _ in losses(out)), losses(out)
    grid = os.path.join(work, "per_class.png")
    runs.run(["--checkpoint", f"{out}/checkpoints/latest", "--out", grid, "--per-class", "4"],
             program=runs.program("gan_sample"))
    assert os.path.getsize(grid) > 0
    print("conditional: trained at 2 ranks; gan_sample --per-class drew every class")


def case_icons():
    """The 64x64 colour config trains at 2 ranks (four up-blocks, four down-blocks) and writes samples."""
    nets = networks("nets", "--shape", 3, 64, 64, "--channels", 4)
    out = trained(ICONS, nets, ["--train.max_steps=4", "--train.batch_size=4", "--output.sample_every=4",
                                "--output.checkpoint_every=4"], 2, "run")
    assert len(losses(out)) == 2 and os.listdir(os.path.join(out, "samples")), losses(out)
    print("icons: trained at 2 ranks, samples written")


def case_cost_in_gan_bench():
    """gan_bench train times the family at 1 rank alone and at 2, and with --against the DCGAN's
    config beside it: both steps/s and the steps of the DCGAN that the wall clock of this config's
    --train.max_steps buys (the step counts of docs/models-and-losses.md's comparison). A missing
    --against file is a one-line error, and so is --against in another mode."""
    nets = networks("nets", "--shape", 1, 28, 28, "--channels", 4)
    dcgan = os.path.join(source, "configs", "fashion_mnist_dcgan.ini")
    bench = ["--config", FASHION, "--steps", "4", "--warmup", "1", "--train.max_steps=1000", "--against", dcgan] + nets
    result = runs.run(["train"] + bench, ranks=2, program=runs.program("gan_bench"))
    out = result.stdout + result.stderr
    for pattern in (r"1 rank alone .* (\d+)\n", r" 2 rank\(s\) .* (\d+)\n", r"weak-scaling efficiency [0-9.]+"):
        assert re.search(pattern, out), f"no '{pattern}' in:\n{out}"
    line = re.search(r"this config vs .*fashion_mnist_dcgan.ini, 2 rank\(s\): ([0-9.]+) vs ([0-9.]+) steps/s, "
                     r"(\d+) vs (\d+) samples/s; this config's 1000 steps \(([0-9.]+) s at this pace\) = (\d+) steps of", out)
    assert line, out
    mine, other, budget, steps = float(line[1]), float(line[2]), float(line[5]), float(line[6])
    assert math.isclose(budget, 1000 / mine, rel_tol=0.02, abs_tol=1), line[0]
    assert math.isclose(steps, 1000 * other / mine, rel_tol=0.02, abs_tol=1), line[0]
    assert math.isclose(int(line[3]), mine * 64, rel_tol=0.02, abs_tol=1), line[0]  # 2 ranks x 32 rows
    missing = runs.run(["train", "--config", FASHION, "--against", os.path.join(work, "nowhere.ini")] + nets,
                       expect_ok=False, program=runs.program("gan_bench"))
    errors = [l for l in missing.stderr.splitlines() if "error" in l]
    assert missing.returncode != 0 and len(errors) == 1 and "nowhere.ini" in errors[0], missing.stderr
    other_mode = runs.run(["allreduce", "--against", FASHION], expect_ok=False, program=runs.program("gan_bench"))
    assert other_mode.returncode == 2 and "--against is read by gan_bench train only" in other_mode.stderr, \
        other_mode.stderr
    print(line[0])


# After 600 steps at --channels 16 the shipped recipe measured FD 266 (one step: 704) with the
# fixture's classifier (2 epochs); a G that stops learning stays far above both bounds.
QUALITY_CHANNELS, QUALITY_STEPS, QUALITY_MAX_FD = 16, 600, 550


def case_quality_smoke():
    """A short run of the shipped config (narrower, fewer steps) makes garments the classifier
    recognises: FD to the test split far below untrained G's. Needs the classifier fixture."""
    classifier = os.environ.get("GAN_TEST_FASHION_CLASSIFIER")
    assert classifier and os.path.exists(classifier), "GAN_TEST_FASHION_CLASSIFIER names no classifier"
    nets = networks("nets", "--shape", 1, 28, 28, "--channels", QUALITY_CHANNELS)
    common = [f"--eval.classifier={classifier}", "--eval.samples=2000", "--output.checkpoint_every=0"]
    untrained = trained(FASHION, nets, common + ["--train.max_steps=1", "--eval.every=1"], 2, "untrained")
    out = trained(FASHION, nets, common + [f"--train.max_steps={QUALITY_STEPS}", f"--eval.every={QUALITY_STEPS}"],
                  2, "trained")
    before, after = evaluations(untrained)[-1], evaluations(out)[-1]
    print(f"FD {before['eval_fd']:.1f} untrained -> {after['eval_fd']:.1f} after {QUALITY_STEPS} steps;",
          {k: after[k] for k in after if k.startswith("eval_")})
    assert after["eval_fd"] < QUALITY_MAX_FD, f"FD {after['eval_fd']} after {QUALITY_STEPS} steps (goal < {QUALITY_MAX_FD})"
    assert after["eval_fd"] < before["eval_fd"] / 2, (before, after)


run_case(globals(), case)
