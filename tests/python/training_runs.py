"""What the Python end-to-end tests share: their command line and work directory, running
gan_dist and its tools (on N ranks under mpirun), reading a run's metrics, and comparing the
trained state of two checkpoints. Importing it without python3-torch skips the test (exit 77,
which CTest reports as skipped)."""
import json
import os
import shutil
import subprocess
import sys
from typing import List

try:
    import torch
except ImportError as missing:
    print(f"SKIPPED: needs python3-torch ({missing}); launch/install_deps.sh installs it")
    sys.exit(77)


def test_arguments(test_name: str):
    """BUILD_DIR SOURCE_DIR CASE from the command line, and an empty work directory for the case
    (BUILD_DIR/TEST_NAME/CASE)."""
    build, source, case = sys.argv[1], sys.argv[2], sys.argv[3]
    work = os.path.join(build, test_name, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return build, source, case, work


def run_case(namespace, case: str):
    """Calls case_CASE of the test module's namespace (its globals())."""
    cases = {name[len("case_"):]: fn for name, fn in namespace.items() if name.startswith("case_")}
    if case not in cases:
        sys.exit(f"unknown case {case}; one of {sorted(cases)}")
    cases[case]()
    print("PASSED", case)


def mpirun(ranks: int) -> List[str]:
    if ranks == 1:
        return []
    root = ["--allow-run-as-root"] if os.geteuid() == 0 else []
    return ["mpirun", "-np", str(ranks), "--oversubscribe", "--bind-to", "none"] + root


def scripted(generator_file, discriminator_file):
    """The options that train networks written in PyTorch."""
    return ["--model.arch=torchscript", f"--model.generator_file={generator_file}",
            f"--model.discriminator_file={discriminator_file}"]


def metrics(out_dir):
    """The training lines of a run's metrics.jsonl."""
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if '"loss_d"' in line]


def evaluations(out_dir):
    """The evaluation lines of a run's metrics.jsonl."""
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f if '"eval_' in line]


def losses(out_dir):
    return [(m["step"], m["loss_d"], m["loss_g"]) for m in metrics(out_dir)]


def assert_same_state(a, b, what):
    for net in a:
        assert a[net].keys() == b[net].keys(), f"{what}: {net} names differ: {list(a[net])} vs {list(b[net])}"
        for key in a[net]:
            assert torch.equal(a[net][key], b[net][key]), f"{what}: {net}.{key} differs"


class TrainingRuns:
    """Runs the programs of BUILD_DIR, writing what they need under WORK."""

    def __init__(self, build: str, work: str):
        self.build, self.work = build, work

    def program(self, name: str) -> str:
        return os.path.join(self.build, name)

    def run(self, args, ranks=1, expect_ok=True, program=None):
        result = subprocess.run(mpirun(ranks) + [program or self.program("gan_dist")] + args, capture_output=True,
                                text=True, timeout=600, env=dict(os.environ, OMP_NUM_THREADS="1"))
        if expect_ok and result.returncode != 0:
            sys.exit(f"FAILED: {' '.join(args)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def exported_state(self, checkpoint, name):
        """The trained G and D of a checkpoint, as gan_export's state dicts."""
        out = os.path.join(self.work, "export_" + name)
        self.run(["--checkpoint", checkpoint, "--out", out, "--raw-generator"], program=self.program("gan_export"))
        return {net: torch.load(os.path.join(out, f"{net}.state_dict.pt")) for net in ("generator", "discriminator")}
