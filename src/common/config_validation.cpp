// Config::validate and the option checks it is made of: every value in range and every
// combination that cannot train refused, each with a one-line message naming the option.
#include <cmath>
#include <sstream>

#include "common/config.h"
#include "common/error.h"

namespace gan {
namespace {

void requirePositive(const char* name, int64_t value) {
  GAN_CHECK(value > 0, "--", name, " must be a positive integer, got ", value);
}
void requireNonNegative(const char* name, int64_t value) {
  GAN_CHECK(value >= 0, "--", name, " must be a non-negative integer (0 disables), got ", value);
}
void requirePositiveReal(const char* name, double value) {
  GAN_CHECK(value > 0 && std::isfinite(value), "--", name, " must be a positive number, got ", value);
}
// `note` follows ">= 0" in the message, e.g. " (0: off)".
void requireNonNegativeReal(const char* name, double value, const char* note = "") {
  GAN_CHECK(value >= 0 && std::isfinite(value), "--", name, " must be >= 0", note, ", got ", value);
}
// Limits on sizes: a configuration (also one recorded in a checkpoint) cannot ask for a network
// or batch that no machine could hold.
void requireAtMost(const char* name, int64_t value, int64_t limit) {
  GAN_CHECK(value <= limit, "--", name, " must be at most ", limit, ", got ", value);
}

}  // namespace

void Config::validate() const {
  requireNonNegative("data.limit", data.limit);
  GAN_CHECK(data.holdout >= 0 && std::isfinite(data.holdout) && (data.holdout < 1 || data.holdout == std::floor(data.holdout)),
            "--data.holdout must be a count of images (a whole number >= 1), a fraction below 1, or 0 for none; got ",
            data.holdout);
  GAN_CHECK(data.holdout == 0 || data.name == DataSetName::Packed || data.name == DataSetName::ImageFolder,
            "--data.holdout applies to --data.name=packed or image_folder; ", data.name,
            data.isPointCloud() ? " is drawn from a formula (every evaluation draws fresh points)"
                                : " keeps its official test split, which evaluation already uses");
  GAN_CHECK(data.name != DataSetName::Packed || !data.path.empty(), "--data.name=packed needs --data.path=FILE (made by gan_data pack)");
  GAN_CHECK(data.name != DataSetName::ImageFolder || !data.path.empty(), "--data.name=image_folder needs --data.path=DIR");
  requirePositive("data.resolution", data.resolution);
  requireAtMost("data.resolution", data.resolution, 4096);
  GAN_CHECK(data.background == "white" || data.background == "black" ||
                (data.background.size() == 7 && data.background[0] == '#' &&
                 data.background.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos),
            "--data.background must be white | black | #rrggbb, got '", data.background, "'");
  requirePositive("model.latent_dim", model.latent_dim);
  requirePositive("model.hidden_dim", model.hidden_dim);
  requirePositive("model.width", model.width);
  requireAtMost("model.latent_dim", model.latent_dim, 1 << 16);
  requireAtMost("model.hidden_dim", model.hidden_dim, 1 << 16);
  requireAtMost("model.width", model.width, 1 << 12);
  const bool points = data.isPointCloud();
  GAN_CHECK(!(points && model.conditional), "--model.conditional needs labelled data; --data.name=", data.name,
            " is 2-D points with no labels");
  const auto& arch = traitsOf(model.arch);
  GAN_CHECK(!(points && arch.needs_images), "--model.arch=", arch.name, " needs images; --data.name=", data.name,
            " is 2-D points (use --model.arch=mlp2d)");
  GAN_CHECK(!(points && arch.output == OutputRange::Tanh), "--model.arch=", arch.name,
            " ends in tanh (outputs in [-1, 1]) but --data.name=", data.name, " has modes out to ",
            data.name == DataSetName::Ring8 ? "2" : "4", " (use --model.arch=mlp2d)");
  validateScriptedNetworks();
  requirePositive("train.batch_size", train.batch_size);
  requirePositive("train.max_steps", train.max_steps);
  requireAtMost("train.batch_size", train.batch_size, 1 << 20);
  requireAtMost("train.d_steps", train.d_steps, 1000);
  requireAtMost("train.threads", train.threads, 1024);
  requirePositiveReal("train.lr_g", train.lr_g);
  requirePositiveReal("train.lr_d", train.lr_d);
  GAN_CHECK(train.beta1 >= 0 && train.beta1 < 1, "--train.beta1 must be in [0, 1), got ", train.beta1);
  GAN_CHECK(train.beta2 >= 0 && train.beta2 < 1, "--train.beta2 must be in [0, 1), got ", train.beta2);
  requireNonNegativeReal("train.gp_weight", train.gp_weight);
  requireNonNegativeReal("train.r1_gamma", train.r1_gamma, " (0: off)");
  requirePositive("train.r1_interval", train.r1_interval);
  requirePositive("train.d_steps", train.d_steps);
  requireNonNegativeReal("train.ema_halflife_k", train.ema_halflife_k, " (0: off)");
  requireNonNegativeReal("train.mode_seeking", train.mode_seeking, " (0: off)");
  GAN_CHECK(train.mode_seeking == 0 || train.batch_size % 2 == 0,
            "--train.mode_seeking compares rows (2i, 2i+1) of each rank's batch, so --train.batch_size must be even; "
            "got ", train.batch_size);
  GAN_CHECK(train.ada_target >= 0 && train.ada_target < 1, "--train.ada_target must be in [0, 1) (0: off), got ",
            train.ada_target);
  GAN_CHECK(train.ada_target == 0 || !points, "--train.ada_target: adaptive augmentation transforms images; --data.name=",
            data.name, " is 2-D points");
  requirePositive("train.ada_interval", train.ada_interval);
  augmentationSet(train.ada_augment);  // names the option and the unknown transform
  requirePositiveReal("train.ada_kimg", train.ada_kimg);
  requireNonNegative("train.seed", train.seed);
  requirePositive("train.threads", train.threads);
  requirePositive("train.max_bad_steps", train.max_bad_steps);
  requirePositiveReal("comm.bucket_mb", comm.bucket_mb);
  requirePositive("comm.powersgd_rank", comm.powersgd_rank);
  requireNonNegative("comm.powersgd_warmup_steps", comm.powersgd_warmup_steps);
  requireNonNegative("comm.check_every", comm.check_every);
  requirePositiveReal("comm.timeout_s", comm.timeout_s);
  GAN_CHECK(!output.dir.empty(), "--output.dir must not be empty");
  requireNonNegative("output.log_every", output.log_every);
  requireNonNegative("output.sample_every", output.sample_every);
  requireNonNegative("output.checkpoint_every", output.checkpoint_every);
  requireNonNegativeReal("output.checkpoint_mtbf_h", output.checkpoint_mtbf_h, " (0: off)");
  requireNonNegative("output.keep_last", output.keep_last);
  requireNonNegative("output.timeline_steps", output.timeline_steps);
  GAN_CHECK(!output.resume.empty(), "--output.resume must be auto, never or a checkpoint directory");
  GAN_CHECK(model.init_from.empty() || output.resumeMode() != ResumeMode::Checkpoint,
            "--model.init_from and --output.resume=", output.resume, " both give the starting weights; the checkpoint "
            "already holds them: pass one of the two");
  requireNonNegative("monitor.straggler_every", monitor.straggler_every);
  GAN_CHECK(monitor.straggler_windows >= 1, "--monitor.straggler_windows must be at least 1 (consecutive windows), got ",
            monitor.straggler_windows);
  GAN_CHECK(monitor.straggler_threshold > 1.0 && std::isfinite(monitor.straggler_threshold),
            "--monitor.straggler_threshold must be a number above 1 (a ratio to the median rank), got ",
            monitor.straggler_threshold);
  requireNonNegative("eval.every", eval.every);
  requireNonNegative("eval.samples", eval.samples);
  GAN_CHECK(eval.every == 0 || points || !eval.classifier.empty(),
            "--eval.classifier: evaluating images (--eval.every=", eval.every,
            ") needs the feature network; train one with `gan_eval train-classifier --out FILE`");
}

// --model.arch=torchscript: both files, and none of what needs gan_dist's own layers.
void Config::validateScriptedNetworks() const {
  const bool scripted = traitsOf(model.arch).written_in_pytorch;
  for (const auto& [name, file] : {std::pair<const char*, const std::string&>{"generator_file", model.generator_file},
                                   {"discriminator_file", model.discriminator_file}}) {
    GAN_CHECK(!scripted || !file.empty(), "--model.arch=torchscript needs --model.", name,
              "=FILE (a module saved with torch.jit.script(...).save(FILE))");
    GAN_CHECK(scripted || file.empty(), "--model.", name, " is read only with --model.arch=torchscript (this run's "
              "architecture is ", model.arch, ")");
  }
  if (!scripted) return;
  GAN_CHECK(model.batchnorm != BatchNormPolicy::Sync, "--model.batchnorm=sync needs gan_dist's own batch norm layers; "
            "a scripted network's batch norm normalises each rank's rows (it is trained as --model.batchnorm=local)");
  GAN_CHECK(train.precision != TrainPrecision::Bf16, "--train.precision=bf16 runs gan_dist's layers by a measured "
            "per-layer plan; a scripted network's layers are its own (train it in fp32)");
  GAN_CHECK(!comm.overlap_next_step, "--comm.overlap_next_step runs the next step's real half early, which would move "
            "the random numbers a scripted network draws in its forward between steps (exact resume needs them "
            "keyed by step); leave it off with --model.arch=torchscript");
}

uint32_t augmentationSet(const std::string& list) {
  uint32_t set = 0;
  std::stringstream items(list);
  for (std::string item; std::getline(items, item, ',');) {
    bool known = false;
    for (size_t i = 0; i < std::size(kAugmentationNames); ++i) {
      if (item == kAugmentationNames[i]) {
        set |= 1u << i;
        known = true;
      }
    }
    GAN_CHECK(known, "--train.ada_augment: unknown transform '", item, "' (expected a comma-separated list of flip, "
              "rot90, translate, brightness, contrast, saturation, cutout)");
  }
  GAN_CHECK(set != 0, "--train.ada_augment must name at least one transform");
  return set;
}

}  // namespace gan
