// Every combination of the options that meet works end to end or is refused at start. The
// table below lists each option's levels; the cases cover every pair of levels of two options
// (all pairs, not the full product) and are generated from the table, so a new level or option
// is one line. A case that is allowed trains 4 steps, checkpoints at 2 and 4, draws a sample grid,
// evaluates, resumes from step 2 to the same bytes at step 4, and gan_sample draws from it. A
// pair that cannot work is listed in kRefusals with the words the refusal must hold: it must end
// the run before the first step, non-zero, with one line naming both options.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/process_helpers.h"
#include "common/file_contents.h"
#include "recording/metrics_log.h"
#include "render/png_writer.h"
#include "support/image_files.h"
#include "support/synthetic_data.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

// ---- The table

struct Factor {
  std::string name;
  std::vector<std::string> levels;
};

const std::vector<Factor>& factors() {
  static const std::vector<Factor> table = {
      {"data", {"idx", "cifar10", "packed_gray", "packed_rgb", "packed_rgba", "image_folder", "ring8"}},
      {"arch", {"mlp", "mlp2d", "dcgan"}},
      {"batchnorm", {"none", "local", "sync"}},
      {"loss", {"nonsaturating", "minimax", "hinge", "wgan-gp", "r1"}},
      {"compress", {"none", "bf16", "fp16", "powersgd"}},
      {"overlap", {"off", "on"}},
      {"ada", {"off", "on"}},
      {"ema", {"off", "on"}},
      {"precision", {"fp32", "bf16-all"}},
      {"stragglers", {"off", "every_step"}},
      {"conditional", {"off", "on"}},
      {"holdout", {"off", "on"}},
      {"mode_seeking", {"off", "on"}},
      {"world", {"1", "2", "3"}},
  };
  return table;
}

// Pairs that cannot work, and what the refusal must name.
struct Refusal {
  std::string factor_a, level_a, factor_b, level_b;
  std::vector<std::string> named;  // every one must appear in the one-line error
};

const std::vector<Refusal>& refusals() {
  static const std::vector<Refusal> table = {
      {"data", "ring8", "arch", "mlp", {"--model.arch=mlp", "--data.name=ring8"}},
      {"data", "ring8", "arch", "dcgan", {"--model.arch=dcgan", "--data.name=ring8"}},
      {"data", "ring8", "ada", "on", {"--train.ada_target", "--data.name=ring8"}},
      // The fixture's MNIST-format set has no label files; 2-D mixtures have no labels at all.
      {"data", "idx", "conditional", "on", {"--model.conditional", "--data.name=mnist", "has no labels"}},
      {"data", "ring8", "conditional", "on", {"--model.conditional", "--data.name=ring8"}},
      // Sets with a test split of their own keep it; a mixture draws fresh points to evaluate.
      {"data", "idx", "holdout", "on", {"--data.holdout", "mnist keeps its official test split"}},
      {"data", "cifar10", "holdout", "on", {"--data.holdout", "cifar10 keeps its official test split"}},
      {"data", "ring8", "holdout", "on", {"--data.holdout", "ring8 is drawn from a formula"}},
  };
  return table;
}

using Case = std::vector<int>;  // a level index per factor

int factorIndex(const std::string& name) {
  for (size_t f = 0; f < factors().size(); ++f) {
    if (factors()[f].name == name) return int(f);
  }
  ADD_FAILURE() << "no factor " << name;
  return 0;
}

int levelIndex(int factor, const std::string& level) {
  const auto& levels = factors()[factor].levels;
  const auto it = std::find(levels.begin(), levels.end(), level);
  if (it == levels.end()) ADD_FAILURE() << "no level " << level << " of " << factors()[factor].name;
  return int(it - levels.begin());
}

// A pair of (factor, level) with the lower factor first.
using Pair = std::pair<std::pair<int, int>, std::pair<int, int>>;

Pair pairOf(int f1, int l1, int f2, int l2) {
  return f1 < f2 ? Pair{{f1, l1}, {f2, l2}} : Pair{{f2, l2}, {f1, l1}};
}

std::set<Pair> refusedPairs() {
  std::set<Pair> pairs;
  for (const auto& r : refusals()) {
    const int a = factorIndex(r.factor_a), b = factorIndex(r.factor_b);
    pairs.insert(pairOf(a, levelIndex(a, r.level_a), b, levelIndex(b, r.level_b)));
  }
  return pairs;
}

// The refusal a case runs into, if any (the first of the table).
const Refusal* refusalOf(const Case& c) {
  for (const auto& r : refusals()) {
    const int a = factorIndex(r.factor_a), b = factorIndex(r.factor_b);
    if (c[a] == levelIndex(a, r.level_a) && c[b] == levelIndex(b, r.level_b)) return &r;
  }
  return nullptr;
}

// Whether the levels chosen so far (-1: not yet) contain a refused pair.
bool containsRefusedPair(const Case& c, const std::set<Pair>& refused) {
  for (size_t a = 0; a < c.size(); ++a) {
    for (size_t b = a + 1; b < c.size(); ++b) {
      if (c[a] >= 0 && c[b] >= 0 && refused.count(pairOf(int(a), c[a], int(b), c[b]))) return true;
    }
  }
  return false;
}

// Every pair of levels that can work, in table order.
std::vector<Pair> allowedPairs() {
  const auto refused = refusedPairs();
  std::vector<Pair> pairs;
  for (size_t a = 0; a < factors().size(); ++a) {
    for (size_t b = a + 1; b < factors().size(); ++b) {
      for (size_t la = 0; la < factors()[a].levels.size(); ++la) {
        for (size_t lb = 0; lb < factors()[b].levels.size(); ++lb) {
          const Pair pair = pairOf(int(a), int(la), int(b), int(lb));
          if (!refused.count(pair)) pairs.push_back(pair);
        }
      }
    }
  }
  return pairs;
}

// Greedy all-pairs generation (deterministic): each case starts from the first uncovered pair and
// fills every other factor with the level that covers the most uncovered pairs without forming a
// refused pair. Then one case per refusal: that pair, everything else at the first level that
// forms no other refused pair.
std::vector<Case> generateCases() {
  const auto refused = refusedPairs();
  std::set<Pair> uncovered;
  for (const auto& pair : allowedPairs()) uncovered.insert(pair);
  std::vector<Case> cases;
  const size_t n = factors().size();
  while (!uncovered.empty()) {
    const Pair seed = *uncovered.begin();
    Case c(n, -1);
    c[seed.first.first] = seed.first.second;
    c[seed.second.first] = seed.second.second;
    for (size_t f = 0; f < n; ++f) {
      if (c[f] >= 0) continue;
      int best = -1, best_gain = -1;
      for (int level = 0; level < int(factors()[f].levels.size()); ++level) {
        c[f] = level;
        if (containsRefusedPair(c, refused)) continue;
        int gain = 0;
        for (size_t g = 0; g < n; ++g) {
          if (g != f && c[g] >= 0 && uncovered.count(pairOf(int(f), level, int(g), c[g]))) ++gain;
        }
        if (gain > best_gain) best = level, best_gain = gain;
      }
      c[f] = best;
    }
    for (size_t a = 0; a < n; ++a) {
      for (size_t b = a + 1; b < n; ++b) uncovered.erase(pairOf(int(a), c[a], int(b), c[b]));
    }
    cases.push_back(c);
  }
  for (const auto& r : refusals()) {
    Case c(n, -1);
    const int a = factorIndex(r.factor_a), b = factorIndex(r.factor_b);
    c[a] = levelIndex(a, r.level_a);
    c[b] = levelIndex(b, r.level_b);
    const Pair own = pairOf(a, c[a], b, c[b]);
    for (size_t f = 0; f < n; ++f) {
      if (c[f] >= 0) continue;
      for (c[f] = 0;; ++c[f]) {
        auto others = refused;
        others.erase(own);
        if (!containsRefusedPair(c, others)) break;
      }
    }
    cases.push_back(c);
  }
  return cases;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = generateCases();
  return all;
}

std::string level(const Case& c, const std::string& factor) {
  const int f = factorIndex(factor);
  return factors()[f].levels[c[f]];
}

std::string caseName(size_t index) {
  const Case& c = cases()[index];
  char number[8];
  std::snprintf(number, sizeof number, "c%02zu", index);
  std::string name = number;
  for (size_t f = 0; f < c.size(); ++f) name += "_" + factors()[f].name + "_" + factors()[f].levels[c[f]];
  std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
  return name;
}

// ---- The data, classifiers and images every case shares: made once per build, by whichever case
// gets the lock first.

struct Fixture {
  std::string dir;
  std::string mnist, cifar, folder, cache;
  std::string packed_gray, packed_rgb, packed_rgba;
  std::string classifier_gray28, classifier_rgb32, classifier_rgba32;
};

void runOrFail(const std::string& command) {
  const auto result = run(command);
  if (result.exit_code != 0) throw std::runtime_error(command + " failed:\n" + result.output);
}

const Fixture& fixture() {
  static const Fixture made = [] {
    Fixture f;
    f.dir = std::string(GAN_BINARY_DIR) + "/option_combinations_fixture";
    f.mnist = f.dir + "/mnist";
    f.cifar = f.dir + "/cifar";
    f.folder = f.dir + "/folder";
    f.cache = f.dir + "/cache";
    f.packed_gray = f.dir + "/gray28.gpk";
    f.packed_rgb = f.dir + "/rgb32.gpk";
    f.packed_rgba = f.dir + "/rgba32.gpk";
    f.classifier_gray28 = f.dir + "/classifier_gray28.pt";
    f.classifier_rgb32 = f.dir + "/classifier_rgb32.pt";
    f.classifier_rgba32 = f.dir + "/classifier_rgba32.pt";
    fs::create_directories(f.dir);
    // The programs that make the fixture identify it: a rebuilt gan_data or gan_eval makes it anew.
    const std::string stamp = std::to_string(fs::last_write_time(GAN_DATA_BINARY).time_since_epoch().count()) + " " +
                              std::to_string(fs::last_write_time(GAN_EVAL_BINARY).time_since_epoch().count()) + " v2";
    const std::string done = f.dir + "/DONE";
    const int lock = ::open((f.dir + "/.lock").c_str(), O_CREAT | O_RDWR, 0644);
    ::flock(lock, LOCK_EX);
    if (!fs::exists(done) || gan::test_support::readText(done) != stamp) {
      for (const auto& entry : fs::directory_iterator(f.dir)) {
        if (entry.path().filename() != ".lock") fs::remove_all(entry.path());
      }
      gan::test_support::writeBytes(f.mnist + "/train-images-idx3-ubyte.gz", gan::test_support::idxBytes({96, 28, 28}), true);
      gan::test_support::writeBytes(f.mnist + "/t10k-images-idx3-ubyte.gz", gan::test_support::idxBytes({48, 28, 28}), true);
      gan::test_support::writeCifarDirectory(f.cifar);
      gan::test_support::writeTwoClassImages(f.folder, 64, 36);
      const std::string pack = std::string(GAN_DATA_BINARY) + " pack --images " + f.folder;
      runOrFail(pack + " --color gray --resolution 28 --out " + f.packed_gray);
      runOrFail(pack + " --color rgb --resolution 32 --out " + f.packed_rgb);
      runOrFail(pack + " --color rgba --resolution 32 --out " + f.packed_rgba);
      const std::string train = std::string(GAN_EVAL_BINARY) + " train-classifier --epochs 1 --min-accuracy 0 --data.name packed";
      runOrFail(train + " --data.path " + f.packed_gray + " --out " + f.classifier_gray28);
      runOrFail(train + " --data.path " + f.packed_rgb + " --out " + f.classifier_rgb32);
      runOrFail(train + " --data.path " + f.packed_rgba + " --out " + f.classifier_rgba32);
      gan::test_support::writeBytes(done, stamp);
    }
    ::flock(lock, LOCK_UN);
    ::close(lock);
    return f;
  }();
  return made;
}

// ---- One case as gan_dist options

struct CaseRun {
  std::string launcher;
  std::string options;   // everything but --output.dir and the output cadence
  int image_channels;    // of the data set (0: 2-D points)
  bool ema;
  bool straggler_windows;  // per-rank timings every step
};

CaseRun commandOf(const Case& c) {
  const Fixture& f = fixture();
  CaseRun run;
  const std::string data = level(c, "data");
  std::string o;
  std::string classifier;
  run.image_channels = 3;
  if (data == "idx") {
    o += " --data.name=mnist --data.path=" + f.mnist + " --data.cache_dir=" + f.cache;
    classifier = f.classifier_gray28;
    run.image_channels = 1;
  } else if (data == "cifar10") {
    o += " --data.name=cifar10 --data.path=" + f.cifar + " --data.cache_dir=" + f.cache;
    classifier = f.classifier_rgb32;
  } else if (data == "packed_gray") {
    o += " --data.name=packed --data.path=" + f.packed_gray;
    classifier = f.classifier_gray28;
    run.image_channels = 1;
  } else if (data == "packed_rgb") {
    o += " --data.name=packed --data.path=" + f.packed_rgb;
    classifier = f.classifier_rgb32;
  } else if (data == "packed_rgba") {
    o += " --data.name=packed --data.path=" + f.packed_rgba;
    classifier = f.classifier_rgba32;
    run.image_channels = 4;
  } else if (data == "image_folder") {
    o += " --data.name=image_folder --data.path=" + f.folder + " --data.resolution=32 --data.cache_dir=" + f.cache;
    classifier = f.classifier_rgb32;
  } else {
    o += " --data.name=" + data;
    run.image_channels = 0;
  }
  if (!classifier.empty()) o += " --eval.classifier=" + classifier;
  o += " --model.arch=" + level(c, "arch") + " --model.latent_dim=16 --model.hidden_dim=32 --model.width=8";
  o += " --model.batchnorm=" + level(c, "batchnorm");
  const std::string loss = level(c, "loss");
  o += loss == "r1" ? " --train.r1_gamma=1 --train.r1_interval=2" : " --train.loss=" + loss;
  o += " --comm.compress=" + level(c, "compress") + " --comm.powersgd_rank=2";
  o += std::string(" --comm.overlap_next_step=") + (level(c, "overlap") == "on" ? "true" : "false");
  if (level(c, "ada") == "on") o += " --train.ada_target=0.6 --train.ada_interval=1 --train.ada_kimg=0.01";
  run.ema = level(c, "ema") == "on";
  if (run.ema) o += " --train.ema_halflife_k=0.01";
  // bf16-all: these small layers are below the size where --train.precision=bf16 would use bf16.
  o += " --train.precision=" + level(c, "precision");
  // Per-rank timing exchanged at every step: one more collective in every step's order.
  run.straggler_windows = level(c, "stragglers") == "every_step";
  o += std::string(" --monitor.straggler_every=") + (run.straggler_windows ? "1" : "0");
  if (level(c, "conditional") == "on") o += " --model.conditional=true";
  // A quarter of the fixture's 64 images set aside: evaluation measures against those 16.
  if (level(c, "holdout") == "on") o += " --data.holdout=0.25";
  if (level(c, "mode_seeking") == "on") o += " --train.mode_seeking=1";
  const int world = std::stoi(level(c, "world"));
  // The same global batch (12) on every world size.
  o += " --train.batch_size=" + std::to_string(12 / world) + " --train.max_steps=4 --comm.timeout_s=120";
  o += " --eval.samples=48 --output.report=false --output.tensorboard=false";
  run.launcher = world > 1 ? mpirun(world) : "";
  run.options = o;
  return run;
}

std::string checkpointOf(const std::string& out, int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "/checkpoints/step_%08ld", long(step));
  return out + name;
}

class OptionCombination : public ::testing::TestWithParam<size_t> {};

TEST_P(OptionCombination, WorksEndToEndOrIsRefusedAtStart) {
  const Case& c = cases()[GetParam()];
  const CaseRun job = commandOf(c);
  const std::string out = outputDir("combination_" + std::to_string(GetParam()));
  const std::string straight = out + "/straight";
  const std::string command = job.launcher + ganDist() + job.options + " --output.dir=" + straight +
                              " --output.log_every=1 --output.checkpoint_every=2 --output.sample_every=4 --eval.every=4";
  const auto first = run(command);
  SCOPED_TRACE(command);

  if (const Refusal* refusal = refusalOf(c)) {
    EXPECT_NE(first.exit_code, 0) << first.output;
    // One error line (once, not per rank), naming both options, before the first step.
    std::vector<std::string> errors;
    std::istringstream lines(first.output);
    for (std::string line; std::getline(lines, line);) {
      // "gan_dist: error: ..." at validation, "gan_dist: error on rank R: ..." once the data is open.
      if (line.find("gan_dist: error") != std::string::npos) errors.push_back(line);
    }
    ASSERT_EQ(errors.size(), 1u) << first.output;
    for (const auto& word : refusal->named) EXPECT_NE(errors[0].find(word), std::string::npos) << errors[0];
    EXPECT_EQ(first.output.find("step 1/"), std::string::npos) << "trained before refusing:\n" << first.output;
    EXPECT_FALSE(fs::exists(checkpointOf(straight, 2)));
    return;
  }

  ASSERT_EQ(first.exit_code, 0) << first.output;
  // Checkpoints, the grid, the evaluation.
  for (const int64_t step : {2, 4}) ASSERT_TRUE(fs::exists(checkpointOf(straight, step) + "/MANIFEST")) << step;
  const auto grid = gan::render::readPng(straight + "/samples/step_00000004.png");
  EXPECT_EQ(grid.channels, job.image_channels == 1 ? 1 : 3) << "a grid is gray or RGB (RGBA on a checkerboard)";
  bool evaluated = false;
  for (const auto& line : metricLines(straight)) {
    if (line.value("step", 0) != 4) continue;
    for (const auto& [key, value] : line.items()) {
      if (key.rfind("eval_", 0) == 0 && value.is_number()) {
        evaluated = true;
        EXPECT_TRUE(std::isfinite(value.get<double>())) << key;
      }
    }
  }
  EXPECT_TRUE(evaluated) << first.output;
  if (job.straggler_windows) {
    EXPECT_EQ(gan::readJsonLines(gan::RunDirectory(straight).stragglers().string()).size(), 4u);
  } else {
    EXPECT_FALSE(fs::exists(gan::RunDirectory(straight).stragglers()));
  }

  // A resume from step 2 reaches the same bytes at step 4.
  const std::string resumed = out + "/resumed";
  fs::create_directories(resumed + "/checkpoints");
  fs::copy(checkpointOf(straight, 2), checkpointOf(resumed, 2), fs::copy_options::recursive);
  const auto second = run(job.launcher + ganDist() + job.options + " --output.dir=" + resumed +
                          " --output.log_every=1 --output.checkpoint_every=2 --output.sample_every=0 --eval.every=0");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("resumed from " + checkpointOf(resumed, 2) + " at step 2"), std::string::npos)
      << second.output;
  std::vector<std::string> files = {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt"};
  if (job.ema) files.push_back("ema_G.pt");
  for (const auto& file : files) {
    EXPECT_EQ(readText(checkpointOf(straight, 4) + "/" + file), readText(checkpointOf(resumed, 4) + "/" + file))
        << file << " differs after the resume";
  }

  // gan_sample draws from the final checkpoint.
  const std::string picture = out + "/sampled.png";
  const auto sampled = run(std::string(GAN_SAMPLE_BINARY) + " --checkpoint " + straight +
                           "/checkpoints/latest --n 16 --out " + picture);
  ASSERT_EQ(sampled.exit_code, 0) << sampled.output;
  EXPECT_EQ(gan::render::readPng(picture).channels, job.image_channels == 1 ? 1 : 3);
}

INSTANTIATE_TEST_SUITE_P(AllPairs, OptionCombination, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return caseName(info.param); });

// The generated cases cover every allowed pair with a case that runs, and every refused pair.
TEST(OptionCombinationTable, CasesCoverEveryPairOfLevels) {
  std::set<Pair> covered;
  for (const Case& c : cases()) {
    if (refusalOf(c) != nullptr) continue;
    for (size_t a = 0; a < c.size(); ++a) {
      for (size_t b = a + 1; b < c.size(); ++b) covered.insert(pairOf(int(a), c[a], int(b), c[b]));
    }
  }
  for (const auto& pair : allowedPairs()) {
    EXPECT_TRUE(covered.count(pair)) << factors()[pair.first.first].name << "=" << pair.first.second << " with "
                                     << factors()[pair.second.first].name << "=" << pair.second.second;
  }
  size_t refused_cases = 0;
  for (const Case& c : cases()) refused_cases += refusalOf(c) != nullptr;
  EXPECT_EQ(refused_cases, refusals().size());
  // All pairs, not the product: a handful of cases per level of the widest pair of factors.
  EXPECT_LT(cases().size(), 60u);
}

}  // namespace
