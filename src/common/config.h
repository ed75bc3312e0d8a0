// The one configuration struct of a run: filled from an .ini file plus command-line overrides
// (Boost.Program_options; `[train] batch_size` is `--train.batch_size`), validated once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/architectures.h"
#include "common/option_values.h"

namespace gan {

struct DataConfig {
  DataSetName name = DataSetName::FashionMnist;
  std::string path;                    // empty: the Debian data set's directory for `name`
  int64_t limit = 0;                   // train on N images of a fixed spread-out subset; 0: all
  // packed, image_folder: images set aside, never trained on, that evaluation compares against:
  // a count (>= 1) or a fraction of the set (below 1); 0: none (evaluation uses the training images).
  double holdout = 0;
  // Where packed copies of image data sets are kept ("" = $XDG_CACHE_HOME/gan_dist or
  // ~/.cache/gan_dist; "none" = read the files into each rank's memory instead).
  std::string cache_dir;
  // image_folder: how the images are brought to one square format when packed.
  int64_t resolution = 64;
  PackedColor color = PackedColor::Rgb;
  SquareFit fit = SquareFit::Crop;
  std::string background = "white";  // white | black | #rrggbb, what transparency becomes
  // Resume although the data's fingerprint differs from the checkpoint's (the sample order and the
  // held-out split are then rebuilt from the data as it is now).
  bool allow_changed = false;

  // ring8 and grid25: points in the plane drawn from a formula, not images.
  bool isPointCloud() const { return name == DataSetName::Ring8 || name == DataSetName::Grid25; }
};

struct ModelConfig {
  ModelArch arch = ModelArch::Mlp;
  int64_t latent_dim = 100;
  int64_t hidden_dim = 256;           // mlp, mlp2d: width of the hidden layers
  int64_t width = 64;                 // dcgan: channels of the stage next to the image (then 2x, 4x)
  BatchNormPolicy batchnorm = BatchNormPolicy::None;
  bool conditional = false;  // G and D take a class label (labelled data sets only)
  std::string init_from;  // a state dict written by Python's torch.save to start from (empty: random)
  // torchscript: the networks, as torch.jit.save wrote them in Python.
  std::string generator_file;
  std::string discriminator_file;
};

// The augmentations ADA can apply (--train.ada_augment lists a subset); transform i of this list
// is bit i of a set of them.
inline constexpr const char* kAugmentationNames[] = {"flip",     "rot90",      "translate", "brightness",
                                                     "contrast", "saturation", "cutout"};

struct TrainConfig {
  int64_t batch_size = 64;  // per rank; the global batch is world_size * batch_size
  int64_t max_steps = 3000;
  double lr_g = 2e-4;
  double lr_d = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  GanLoss loss = GanLoss::Nonsaturating;
  double gp_weight = 10.0;             // wgan-gp: lambda of the gradient penalty
  double r1_gamma = 0.0;               // R1 penalty weight on real data (0: off)
  int64_t r1_interval = 16;            // R1 every N steps (lazy regularisation), scaled by N
  int64_t d_steps = 1;                 // discriminator updates per generator update
  double ema_halflife_k = 0.0;         // EMA of G: half-life in thousands of images (0: off)
  double mode_seeking = 0.0;           // weight of the mode-seeking term in G's loss (0: off)
  double ada_target = 0.0;             // ADA: the aimed-at E[sign(D(x_real))] (0: off)
  int64_t ada_interval = 4;            // ADA: steps between adjustments of p
  double ada_kimg = 100.0;             // ADA: thousands of images for p to move by 1
  std::string ada_augment = "flip,rot90,translate,brightness,contrast,saturation";  // ADA: which transforms
  int64_t seed = 42;
  int threads = 1;              // intra-op threads per rank (OpenMP and OpenBLAS alike)
  int64_t max_bad_steps = 10;   // consecutive steps with skipped (non-finite) updates before abort
  DeviceChoice device = DeviceChoice::Auto;
  TrainPrecision precision = TrainPrecision::Fp32;  // bf16: products in bf16 where that pays
};

struct CommConfig {
  BackendChoice backend = BackendChoice::Auto;
  double bucket_mb = 25.0;
  GradientCompression compress = GradientCompression::None;  // gradients on the wire
  int64_t powersgd_rank = 4;
  int64_t powersgd_warmup_steps = 0;  // PowerSGD: the first N steps reduce exactly
  bool overlap_next_step = false;  // the next step's D real half runs during G's reduction
  int64_t check_every = 500;  // replica consistency check interval in steps; 0 disables
  double timeout_s = 600;     // watchdog: abort when one phase of a step takes longer
};

// What --output.resume asks for: its two words, or else a checkpoint directory's path.
enum class ResumeMode { Auto, Never, Checkpoint };

struct OutputConfig {
  std::string dir = "runs/fashion_mnist_mlp";
  int64_t log_every = 50;
  int64_t sample_every = 500;
  int64_t checkpoint_every = 1000;
  double checkpoint_mtbf_h = 0;   // expected hours between failures of the job; > 0 adds Daly's interval
  int64_t keep_last = 0;          // keep only the newest K checkpoints; 0 keeps all
  std::string resume = "auto";    // auto | never | PATH of a checkpoint directory (resumeMode())
  ResumeChanges resume_changes = ResumeChanges::Refuse;  // resuming with options that change the trajectory
  bool tensorboard = true;        // TensorBoard event files under OUT/tb/
  bool report = true;             // OUT/report.html at the end of training
  std::string timeline;           // Chrome trace per rank; empty: none
  int64_t timeline_steps = 200;   // trace only the first N steps of the run; 0: all
  // The one reading of `resume`'s words.
  ResumeMode resumeMode() const;
};

// Per-rank step timing and the straggler verdict (stragglers/straggler_monitor.h).
struct MonitorConfig {
  int64_t straggler_every = 100;     // exchange per-rank timings every N steps; 0: off
  double straggler_threshold = 1.2;  // a rank computing this many times the median is named
  int64_t straggler_windows = 2;     // the log names it once named in this many windows in a row
};

struct EvalConfig {
  int64_t every = 0;       // evaluate every N steps (0: never)
  int64_t samples = 0;     // generated samples per evaluation (0: 2,500 for 2-D data, 10,000 for images)
  std::string classifier;  // images: the feature network from `gan_eval train-classifier`
};

// Whether an option's value shapes the training trajectory. Every option's declaration says
// which: resuming with another value of one that shapes it is another run (refused unless
// --output.resume_changes=allow); output intervals, threads, timeouts, the data's location and
// the per-rank batch (the global batch is checked on its own) are free to change.
enum class Trajectory { Shapes, Free };

struct Config {
  std::string config_file;  // the .ini it was read from, empty when none
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  CommConfig comm;
  OutputConfig output;
  MonitorConfig monitor;
  EvalConfig eval;

  // Checks every value; throws gan::Error naming the first bad option.
  void validate() const;
  // (option name, value) for every option, in declaration order: the effective config table.
  std::vector<std::pair<std::string, std::string>> entries() const;
  // The options declared Trajectory::Shapes, in declaration order.
  static std::vector<std::string> trajectoryOptions();

 private:
  void validateScriptedNetworks() const;  // part of validate()
};

// --train.ada_augment's comma-separated list as a set: bit i for kAugmentationNames[i]. Throws
// gan::Error naming the option and the unknown transform.
uint32_t augmentationSet(const std::string& list);

// Result of parsing argv: either a config to run, or help text to print and exit 0.
struct ParsedCommandLine {
  Config config;
  bool help_requested = false;
  std::string help_text;
};

// Parses `--config FILE` and `--section.key=value` overrides (command line wins over the file).
// Throws gan::Error with a one-line message naming the file or option on any problem.
ParsedCommandLine parseCommandLine(int argc, const char* const* argv);

// The effective-config table rank 0 prints at start.
std::string formatConfigTable(const Config& config);

}  // namespace gan
