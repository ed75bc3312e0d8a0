// The bad-input catalogue: what a demanding user gets wrong, across options, config files, output
// directories, data files, checkpoints and every program. Each case must end within a bounded
// time, exit non-zero without a signal, print one error line naming what is wrong, and show no
// crash signature; under mpirun a configuration error is printed once, not once per rank.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "e2e/process_helpers.h"
#include "support/checkpoint_files.h"
#include "support/synthetic_data.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;
namespace support = gan::test_support;

struct BadInput {
  std::string what;
  std::string command;
  std::string expected;  // a substring of the error line
};

// A small, fast run: 2-D data, a tiny MLP, nothing written but the checkpoint. `model` can be
// replaced (an option may appear only once on a command line).
std::string tinyRun(const std::string& out, const std::string& extra = "",
                    const std::string& model = "--model.arch=mlp2d --model.hidden_dim=16") {
  return ganDist() + " --data.name=ring8 " + model + " --model.latent_dim=4" + " --train.max_steps=4 --output.log_every=0 --output.sample_every=0 --output.tensorboard=false" +
         " --output.report=false --comm.timeout_s=60 --output.dir=" + out + " " + extra;
}

std::string copyOf(const std::string& checkpoint, const std::string& name) {
  const auto copy = support::freshTempDir("catalogue_ckpt_" + name);
  fs::copy(checkpoint, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  return copy;
}

std::string ini(const std::string& name, const std::string& text) {
  return support::writeBytes(std::string(::testing::TempDir()) + "catalogue_" + name + ".ini", text);
}

TEST(BadInputCatalogue, EveryCaseFailsPromptlyWithOneLineNamingTheCulprit) {
  // What the cases start from: a good checkpoint, data and run directories to break.
  const auto good = outputDir("catalogue_good");
  ASSERT_EQ(run(tinyRun(good, "--output.checkpoint_every=4")).exit_code, 0);
  const auto checkpoint = good + "/checkpoints/step_00000004";

  const auto no_manifest = copyOf(checkpoint, "no_manifest");
  fs::remove(no_manifest + "/MANIFEST");
  const auto corrupt = copyOf(checkpoint, "corrupt");
  {
    std::fstream file(corrupt + "/model_G.pt", std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(60);
    const char byte = static_cast<char>(file.get());
    file.seekp(60);
    file.put(static_cast<char>(~byte));  // a changed byte, whatever was there
  }
  const auto escaping = copyOf(checkpoint, "escaping");
  std::ofstream(escaping + "/MANIFEST", std::ios::app) << "../../../etc/passwd 100 00000000\n";
  const auto garbage_state = copyOf(checkpoint, "garbage_state");
  support::writeBytes(garbage_state + "/state.json", std::string("{\"format_version\": 2, \"step\": [}"));
  support::resealCheckpoint(garbage_state);
  const auto huge_model = copyOf(checkpoint, "huge_model");
  {
    auto state = nlohmann::json::parse(support::readText(huge_model + "/state.json"));
    state["config"]["model.hidden_dim"] = "100000000";
    support::writeBytes(huge_model + "/state.json", state.dump(2));
    support::resealCheckpoint(huge_model);
  }
  const auto bad_ada = copyOf(checkpoint, "bad_ada");
  {
    auto state = nlohmann::json::parse(support::readText(bad_ada + "/state.json"));
    state["ada"] = {{"p", 1.5}, {"sign_sum", 0}, {"count", 0}, {"last_rt", 0}, {"pending", false},
                    {"pending_sign_sum", 0}, {"pending_rows", 0}};
    support::writeBytes(bad_ada + "/state.json", state.dump(2));
    support::resealCheckpoint(bad_ada);
  }

  const auto bad_classes = copyOf(checkpoint, "bad_classes");
  {
    auto state = nlohmann::json::parse(support::readText(bad_classes + "/state.json"));
    state["class_counts"] = {5, -2};
    support::writeBytes(bad_classes + "/state.json", state.dump(2));
    support::resealCheckpoint(bad_classes);
  }

  const auto data = support::freshTempDir("catalogue_data");
  auto images = support::idxBytes({10, 28, 28});
  images.resize(images.size() - 100);
  support::writeBytes(data + "/truncated/train-images-idx3-ubyte.gz", images, true);
  support::writeBytes(data + "/magic/train-images-idx3-ubyte.gz", std::string("PK\x03\x04 not idx"), true);
  support::writeBytes(data + "/huge/train-images-idx3-ubyte.gz", support::idxBytes({60000, 28, 28}, 0x08, 5), true);
  support::writeBytes(data + "/cifar/data_batch_1.bin", std::string("12345"));
  support::writeBytes(data + "/not_packed.gpk", std::string(200, 'x'));

  const auto empty_run = support::freshTempDir("catalogue_empty_run");
  const auto empty_metrics = support::freshTempDir("catalogue_empty_metrics");
  support::writeBytes(empty_metrics + "/metrics.jsonl", std::string());
  const auto a_file = support::writeBytes(data + "/a_file", std::string("x"));
  const std::string sample = std::string(GAN_SAMPLE_BINARY) + " --checkpoint ";
  const std::string eval = std::string(GAN_EVAL_BINARY);
  const std::string report = std::string(GAN_REPORT_BINARY) + " ";
  const std::string bench = fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_bench";
  const std::string exporter = fs::path(GAN_DIST_BINARY).parent_path().string() + "/gan_export";
  auto out = [](const std::string& name) { return outputDir("catalogue_" + name); };

  const std::vector<BadInput> cases = {
      // ---- options
      {"zero batch", tinyRun(out("o1"), "--train.batch_size=0"), "--train.batch_size must be a positive integer"},
      {"batch not a number", tinyRun(out("o2"), "--train.batch_size=abc"), "train.batch_size"},
      {"unknown option", tinyRun(out("o3"), "--train.nonsense=1"), "command line"},
      {"unknown loss", tinyRun(out("o4"), "--train.loss=wasserstein"), "--train.loss must be one of"},
      {"unknown architecture", tinyRun(out("o5"), "", "--model.arch=transformer"), "--model.arch must be one of"},
      {"network too large", tinyRun(out("o6"), "", "--model.arch=mlp2d --model.hidden_dim=100000"), "--model.hidden_dim must be at most"},
      {"unknown backend", tinyRun(out("o7"), "--comm.backend=gloo"), "--comm.backend must be one of"},
      {"nccl without a GPU", tinyRun(out("o8"), "--comm.backend=nccl"), "--comm.backend=nccl"},
      {"unknown compression", tinyRun(out("o15"), "--comm.compress=zip"), "--comm.compress must be one of"},
      {"PowerSGD rank zero", tinyRun(out("o16"), "--comm.compress=powersgd --comm.powersgd_rank=0"),
       "--comm.powersgd_rank must be a positive integer"},
      {"negative PowerSGD warm-up", tinyRun(out("o17"), "--comm.compress=powersgd --comm.powersgd_warmup_steps=-5"),
       "--comm.powersgd_warmup_steps must be a non-negative integer"},
      {"cuda without a GPU", tinyRun(out("o9"), "--train.device=cuda"), "--train.device=cuda"},
      {"dcgan on points", tinyRun(out("o10"), "", "--model.arch=dcgan"), "use --model.arch=mlp2d"},
      {"image evaluation without classifier", ganDist() + " --train.max_steps=2 --eval.every=1 --output.dir=" + out("o11"),
       "--eval.classifier"},
      {"negative learning rate", tinyRun(out("o12"), "--train.lr_g=-1"), "--train.lr_g must be a positive number"},
      {"unknown resume policy", tinyRun(out("o13"), "--output.resume_changes=maybe"), "--output.resume_changes"},
      {"placeholder text", tinyRun(out("o14"), "--train.seed=%value%"), "contains '%value%'"},
      {"beta out of range", tinyRun(out("o15"), "--train.beta1=1.5"), "--train.beta1 must be in [0, 1)"},
      {"ADA target out of range", tinyRun(out("o16"), "--train.ada_target=1.5"), "--train.ada_target must be in [0, 1)"},
      {"ADA on points", tinyRun(out("o17"), "--train.ada_target=0.6"), "adaptive augmentation transforms images"},
      {"holdout not a count or fraction", tinyRun(out("o18"), "--train.seed=1", "--data.holdout=2.5"),
       "--data.holdout must be a count of images (a whole number >= 1), a fraction below 1, or 0 for none; got 2.5"},
      {"conditional on points", tinyRun(out("o19"), "--model.conditional=true"), "--model.conditional needs labelled data"},
      {"mode seeking with an odd batch", tinyRun(out("o20"), "--train.mode_seeking=1 --train.batch_size=7"),
       "--train.mode_seeking compares rows (2i, 2i+1) of each rank's batch, so --train.batch_size must be even; got 7"},
      // ---- config files
      {"missing config file", tinyRun(out("c1"), "--config /nonexistent/x.ini"), "--config: cannot open"},
      {"unknown key in config", tinyRun(out("c2"), "--config " + ini("unknown", "[train]\nfrobnicate = 3\n")),
       "catalogue_unknown.ini"},
      {"bad value in config", tinyRun(out("c3"), "--config " + ini("value", "[train]\nbatch_size = many\n")),
       "catalogue_value.ini"},
      {"placeholder in config", tinyRun(out("c4"), "--config " + ini("placeholder", "[train]\nloss = %value%\n")),
       "line 2 contains '%value%'"},
      {"binary config", tinyRun(out("c5"), "--config " + ini("binary", std::string("\x7f" "ELF\x01\x02[[\0\xff", 10))),
       "catalogue_binary.ini"},
      // ---- output directories
      {"output directory cannot be created", tinyRun("/proc/gan_catalogue"), "/proc/gan_catalogue"},
      {"output directory is a file", tinyRun(a_file), a_file},
      {"empty output directory", tinyRun(out("d3"), "--output.dir="), "output.dir"},
      // ---- data files
      {"missing data directory", ganDist() + " --train.max_steps=2 --data.path=/nonexistent --output.dir=" + out("f1"),
       "--data.path '/nonexistent': no train-images-idx3-ubyte.gz"},
      {"truncated IDX", ganDist() + " --train.max_steps=2 --data.path=" + data + "/truncated --output.dir=" + out("f2"),
       "truncated IDX data"},
      {"not an IDX file", ganDist() + " --train.max_steps=2 --data.path=" + data + "/magic --output.dir=" + out("f3"),
       "not an IDX file"},
      {"IDX header far larger than the file", ganDist() + " --train.max_steps=2 --data.path=" + data +
       "/huge --output.dir=" + out("f4"), "truncated IDX data (header promises 47040000 bytes, file has 5)"},
      {"CIFAR-10 without a path", ganDist() + " --data.name=cifar10 --model.arch=dcgan --output.dir=" + out("f5"),
       "--data.path: CIFAR-10 has no default location"},
      {"CIFAR-10 file of the wrong size", ganDist() + " --data.name=cifar10 --model.arch=dcgan --data.path=" + data +
       "/cifar --output.dir=" + out("f6"), "is not a whole number of CIFAR-10 records"},
      {"packed data set without a path", ganDist() + " --data.name=packed --output.dir=" + out("f7"),
       "--data.name=packed needs --data.path=FILE"},
      {"a file that is not a packed data set", ganDist() + " --data.name=packed --data.path=" + data +
       "/not_packed.gpk --output.dir=" + out("f8"), "not_packed.gpk: not a packed image file (no GANPACK magic"},
      {"image folder that does not exist", ganDist() + " --data.name=image_folder --data.path=/nonexistent/icons "
       "--model.arch=dcgan --output.dir=" + out("f9"), "/nonexistent/icons: not a folder of images"},
      {"data-set cache that cannot be created", ganDist() + " --train.max_steps=2 --data.cache_dir=" + data +
       "/not_packed.gpk/cache --output.dir=" + out("f10"), "--data.cache_dir: cannot create"},
      {"gan_data pack without --out", std::string(GAN_DATA_BINARY) + " pack --images " + data,
       "--out is required"},
      // ---- checkpoints
      {"resume from nowhere", tinyRun(out("k1"), "--output.resume=/nonexistent/step_1"), "is not a directory"},
      {"resume without MANIFEST", tinyRun(out("k2"), "--output.resume=" + no_manifest), "MANIFEST: missing"},
      {"resume from a corrupt file", tinyRun(out("k3"), "--output.resume=" + corrupt), "model_G.pt: checksum mismatch"},
      {"MANIFEST naming a file outside", tinyRun(out("k4"), "--output.resume=" + escaping), "not a plain file name"},
      {"state.json that is not JSON", tinyRun(out("k5"), "--output.resume=" + garbage_state), "state.json: malformed"},
      {"impossible augmentation state", tinyRun(out("k9"), "--output.resume=" + bad_ada),
       "state.json: impossible augmentation state"},
      {"impossible class counts", tinyRun(out("k10"), "--output.resume=" + bad_classes),
       "state.json: impossible class count -2"},
      {"resume with another seed", tinyRun(out("k6"), "--train.seed=7 --output.resume=" + checkpoint),
       "--train.seed 42 -> 7"},
      {"resume into a larger model", tinyRun(out("k7"), "--output.resume=" + checkpoint, "--model.arch=mlp2d --model.hidden_dim=32"),
       "--model.hidden_dim 16 -> 32"},
      // ---- gan_sample
      {"sample: missing checkpoint", sample + "/nonexistent", "is not a directory"},
      {"sample: unknown format", sample + checkpoint + " --format jpeg", "--format must be png or npy"},
      {"sample: zero samples", sample + checkpoint + " --n 0", "--n must be in 1..100000"},
      {"sample: unwritable output", sample + checkpoint + " --out /nonexistent_dir/x.png", "/nonexistent_dir/x.png"},
      {"sample: recorded model too large", sample + huge_model, "--model.hidden_dim must be at most"},
      {"sample: damaged checkpoint", sample + corrupt, "checksum mismatch"},
      // ---- gan_eval
      {"eval: no checkpoint given", eval + " checkpoint", "--checkpoint is required"},
      {"eval: missing checkpoint", eval + " checkpoint --checkpoint /nonexistent", "is not a directory"},
      {"eval: zero epochs", eval + " train-classifier --out " + data + "/c.pt --epochs 0", "--epochs must be positive"},
      // Found before the training, not after it.
      {"eval: classifier file under a file", eval + " train-classifier --out " + checkpoint + "/MANIFEST/c.pt",
       "--out '" + checkpoint + "/MANIFEST/c.pt': cannot make its directory"},
      // ---- gan_report
      {"report: no run there", report + empty_run, "no metrics to report"},
      {"report: empty metrics", report + empty_metrics, "empty, nothing to report"},
      // ---- gan_bench
      {"bench: steps not a number", bench + " train --steps=abc", "--steps"},
      {"bench: zero steps", bench + " train --steps 0", "--steps must be a positive integer"},
      {"export: no checkpoint", exporter + " --out " + out("x1"), "--checkpoint is required"},
      {"export: checkpoint missing", exporter + " --checkpoint " + out("x2") + "/nothing --out " + out("x3"),
       out("x2") + "/nothing"},
      {"export: no output directory", exporter + " --checkpoint " + out("x4"), "--out is required"},
      {"bench: zero checkpoints", bench + " checkpoint --checkpoints 0", "--checkpoints must be a positive integer"},
      {"bench: negative MTBF", bench + " checkpoint --mtbf-h=-1", "--mtbf-h must be a positive number"},
  };
  ASSERT_GE(cases.size(), 40u);
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.what + ": " + bad.command);
    const auto result = run("timeout -s KILL 60 " + bad.command);
    EXPECT_NE(result.exit_code, 0);
    EXPECT_LT(result.exit_code, 124) << "timed out or ended by a signal\n" << result.output;
    EXPECT_NE(result.output.find(bad.expected), std::string::npos) << result.output;
    EXPECT_EQ(countLines(result.output, "error"), 1) << result.output;
    for (const char* crash : {"Segmentation fault", "Aborted", "terminate called", "core dumped", "Sanitizer",
                              "runtime error:"}) {
      EXPECT_EQ(result.output.find(crash), std::string::npos) << crash << "\n" << result.output;
    }
  }
}

// The mode-seeking term pairs rows of each rank's batch: a resume on another world size that
// keeps the global batch (6 on 1 rank -> 3 per rank on 2) is refused at start, before the first
// step, in one line naming both options.
TEST(BadInputCatalogue, ModeSeekingWithAnOddBatchPerRankAfterAWorldSizeChangeIsRefusedAtStart) {
  const auto out = outputDir("catalogue_mode_seeking");
  const std::string options = "--train.mode_seeking=1 --train.batch_size=6 --output.checkpoint_every=4";
  ASSERT_EQ(run(tinyRun(out, options)).exit_code, 0);
  std::string longer = tinyRun(out, options);
  longer.replace(longer.find("--train.max_steps=4"), 19, "--train.max_steps=8");
  const auto resumed = run("timeout -s KILL 60 " + mpirun(2) + longer);
  EXPECT_NE(resumed.exit_code, 0);
  EXPECT_LT(resumed.exit_code, 124) << resumed.output;
  EXPECT_EQ(countLines(resumed.output, "gan_dist: error"), 1) << resumed.output;
  EXPECT_NE(resumed.output.find("--train.mode_seeking pairs rows (2i, 2i+1) of each rank's batch, and the checkpoint's "
                                "global batch of 6 split over 2 ranks is 3 per rank"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(resumed.output.find("step 5"), std::string::npos) << "trained before refusing\n" << resumed.output;
}

// Under mpirun, a configuration error is printed once, not once per rank.
TEST(BadInputCatalogue, ConfigurationErrorsArePrintedOnceUnderMpirun) {
  for (const std::string option : {"--train.batch_size=0", "--train.loss=wasserstein", "--config /nonexistent.ini"}) {
    SCOPED_TRACE(option);
    const auto result = run("timeout -s KILL 60 " + mpirun(3) + tinyRun(outputDir("catalogue_mpi"), option));
    EXPECT_NE(result.exit_code, 0);
    EXPECT_LT(result.exit_code, 124) << result.output;
    EXPECT_EQ(countLines(result.output, "gan_dist: error"), 1) << result.output;
  }
}

}  // namespace
