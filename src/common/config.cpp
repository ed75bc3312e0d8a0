#include "common/config.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <sstream>
#include <type_traits>

#include "common/environment.h"
#include "common/error.h"

namespace po = boost::program_options;

namespace gan {
namespace {

template <typename T>
std::string toText(const T& value) {
  std::ostringstream out;
  out << std::boolalpha << value;
  return out.str();
}

// One list of options serves Boost (parsing, --help) and the effective-config table, so an
// option cannot be parseable but missing from the table or vice versa.
class OptionTable {
 public:
  OptionTable() : description_("gan_dist options") {}

  template <typename Field, std::enable_if_t<!std::is_enum_v<Field>, int> = 0>
  void add(const std::string& name, Field& field, Trajectory trajectory, const std::string& help) {
    const std::string text = classify(name, trajectory, help);
    description_.add_options()(name.c_str(),
                               po::value<Field>(&field)->default_value(field, toText(field)),
                               text.c_str());
    printers_.emplace_back(name, [&field] { return toText(field); });
  }

  // An enumerated option: Boost reads the name, the option's table turns it into the value
  // (naming the option and its choices when it is none of them), and --help lists the choices
  // from the same table.
  template <typename Enum, typename = decltype(OptionNames<Enum>::table)>
  void add(const std::string& name, Enum& field, Trajectory trajectory, const std::string& help) {
    const std::string option = "--" + name;
    const std::string choices = classify(name, trajectory, help) + " [" + optionChoices<Enum>() + "]";
    description_.add_options()(
        name.c_str(),
        po::value<std::string>()->default_value(optionName(field))->notifier(
            [&field, option](const std::string& text) { field = parseOptionValue<Enum>(text, option); }),
        choices.c_str());
    printers_.emplace_back(name, [&field] { return std::string(optionName(field)); });
  }

  po::options_description& description() { return description_; }
  const std::vector<std::pair<std::string, std::function<std::string()>>>& printers() const {
    return printers_;
  }
  const std::vector<std::string>& trajectoryOptions() const { return trajectory_options_; }

 private:
  // Returns the help text as --help shows it: marked when the option shapes the trajectory.
  std::string classify(const std::string& name, Trajectory trajectory, const std::string& help) {
    if (trajectory == Trajectory::Free) return help;
    trajectory_options_.push_back(name);
    return help + " [trajectory]";
  }

  po::options_description description_;
  std::vector<std::pair<std::string, std::function<std::string()>>> printers_;
  std::vector<std::string> trajectory_options_;
};

// "mlp (the reference ...), mlp2d (...) or torchscript (...)", from the table of architectures.
std::string architectureChoices() {
  std::string text;
  for (size_t i = 0; i < std::size(kArchitectures); ++i) {
    text += i == 0 ? "" : i + 1 == std::size(kArchitectures) ? " or " : ", ";
    text += std::string(kArchitectures[i].name) + " (" + kArchitectures[i].summary + ")";
  }
  return text;
}

void declareOptions(OptionTable& t, Config& c) {
  t.add("data.name", c.data.name, Trajectory::Shapes,
        "data set: Fashion-MNIST or MNIST (MNIST-format IDX files), CIFAR-10 (binary version, --data.path), "
        "packed (a file made by gan_data pack), image_folder (PNG/JPEG files under --data.path, packed on first "
        "use), or a 2-D Gaussian mixture (generated)");
  t.add("data.path", c.data.path, Trajectory::Free,
        "where the data is: directory of train-images-idx3-ubyte[.gz] or data_batch_N.bin, the packed file, or "
        "the image folder; empty = /usr/share/datasets/<name> for the MNIST formats");
  t.add("data.limit", c.data.limit, Trajectory::Shapes,
        "train on only N images: the first N of one fixed shuffle of the training set, the same for every seed "
        "and world size (0: all); evaluation still uses every test image");
  t.add("data.holdout", c.data.holdout, Trajectory::Shapes,
        "packed, image_folder: set aside N images (or a fraction, below 1) of one fixed shuffle, the same for every "
        "seed and world size, never trained on; evaluation measures against them (0: none; MNIST formats and "
        "CIFAR-10 have their own test split)");
  t.add("data.allow_changed", c.data.allow_changed, Trajectory::Free,
        "resume although the data differs from what the checkpoint was trained on (its fingerprint: count, shape, "
        "classes, a hash of labels and sampled images); the sample order and held-out split are rebuilt from the "
        "data as it is now");
  t.add("data.cache_dir", c.data.cache_dir, Trajectory::Free,
        "where packed, memory-mapped copies of IDX/CIFAR-10 files and image folders are kept (one copy per node, "
        "shared by its ranks); empty = $XDG_CACHE_HOME/gan_dist or ~/.cache/gan_dist; none = read the files into "
        "each rank's memory");
  t.add("data.resolution", c.data.resolution, Trajectory::Shapes,
        "image_folder: side of the square images the folder is packed to");
  t.add("data.color", c.data.color, Trajectory::Shapes, "image_folder: the channels the folder is packed to");
  t.add("data.fit", c.data.fit, Trajectory::Shapes,
        "image_folder: crop (centred square of the shorter side) or pad (whole image on a square of the longer side)");
  t.add("data.background", c.data.background, Trajectory::Shapes,
        "image_folder: white | black | #rrggbb, what transparent pixels become when --data.color drops alpha");
  t.add("model.arch", c.model.arch, Trajectory::Shapes, "architecture: " + architectureChoices());
  t.add("model.latent_dim", c.model.latent_dim, Trajectory::Shapes, "size of the generator's noise input z");
  t.add("model.hidden_dim", c.model.hidden_dim, Trajectory::Shapes,
        "mlp, mlp2d: width of the hidden layers of G and D");
  t.add("model.width", c.model.width, Trajectory::Shapes,
        "dcgan: channels next to the image (doubling at each smaller stage)");
  t.add("model.batchnorm", c.model.batchnorm, Trajectory::Shapes,
        "batch norm in G and D: none, local (each rank's rows) or sync (the global batch, world-size invariant)");
  t.add("model.conditional", c.model.conditional, Trajectory::Shapes,
        "class-conditional G and D: G gets a learned class embedding beside z, D a projection term (the data set "
        "must have labels; generated rows draw their classes from the data's class frequencies)");
  t.add("model.generator_file", c.model.generator_file, Trajectory::Free,
        "torchscript: the generator, saved in Python with torch.jit.script(G).save(FILE): G(z) or G(z, labels) -> "
        "samples (docs/bring-your-own-networks.md)");
  t.add("model.discriminator_file", c.model.discriminator_file, Trajectory::Free,
        "torchscript: the discriminator, saved likewise: D(x) or D(x, labels) -> logits [N, 1]");
  t.add("model.init_from", c.model.init_from, Trajectory::Free,
        "start a fresh run from weights saved in Python: torch.save(G.state_dict()), of D, or of "
        "{\"generator\": ..., \"discriminator\": ...} (names as in docs/pytorch.md; a resumed run keeps its "
        "checkpoint's weights)");
  t.add("train.batch_size", c.train.batch_size, Trajectory::Free,
        "samples per rank per step (global batch = ranks x this)");
  t.add("train.max_steps", c.train.max_steps, Trajectory::Free,
        "number of training steps (one D step + one G step each)");
  t.add("train.lr_g", c.train.lr_g, Trajectory::Shapes, "Adam learning rate of the generator");
  t.add("train.lr_d", c.train.lr_d, Trajectory::Shapes, "Adam learning rate of the discriminator");
  t.add("train.beta1", c.train.beta1, Trajectory::Shapes, "Adam beta1 (both networks)");
  t.add("train.beta2", c.train.beta2, Trajectory::Shapes, "Adam beta2 (both networks)");
  t.add("train.loss", c.train.loss, Trajectory::Shapes,
        "GAN loss: nonsaturating (G maximises log D(G(z))), minimax (G minimises log(1-D(G(z)))), hinge, or "
        "wgan-gp (Wasserstein critic with gradient penalty)");
  t.add("train.gp_weight", c.train.gp_weight, Trajectory::Shapes, "wgan-gp: weight lambda of the gradient penalty");
  t.add("train.r1_gamma", c.train.r1_gamma, Trajectory::Shapes,
        "R1 penalty (gamma/2) E||grad D(x)||^2 on real data (0: off)");
  t.add("train.r1_interval", c.train.r1_interval, Trajectory::Shapes,
        "apply R1 every N steps, scaled by N (lazy regularisation)");
  t.add("train.d_steps", c.train.d_steps, Trajectory::Shapes, "discriminator (critic) updates per generator update");
  t.add("train.ema_halflife_k", c.train.ema_halflife_k, Trajectory::Shapes,
        "exponential moving average of G's weights with this half-life in thousands of images, used for "
        "samples and evaluation (0: off)");
  t.add("train.mode_seeking", c.train.mode_seeking, Trajectory::Shapes,
        "weight of the mode-seeking term in G's loss (Mao et al. 2019): rows (2i, 2i+1) of each rank's batch are "
        "a pair (one class when conditional) and G is pushed to keep their images as far apart as their z; keeps "
        "a conditional G from ignoring z (e.g. 1; 0: off; needs an even --train.batch_size)");
  t.add("train.ada_target", c.train.ada_target, Trajectory::Shapes,
        "adaptive discriminator augmentation: the target of r_t = E[sign(D(x_real))] over the global batch; every "
        "image D sees is augmented with a probability p that rises while r_t is above it (e.g. 0.6; 0: off)");
  t.add("train.ada_interval", c.train.ada_interval, Trajectory::Shapes,
        "ADA: adjust p every N steps, from r_t over those steps");
  t.add("train.ada_kimg", c.train.ada_kimg, Trajectory::Shapes,
        "ADA: speed of p, in thousands of images for it to move from 0 to 1");
  t.add("train.ada_augment", c.train.ada_augment, Trajectory::Shapes,
        "ADA: the transforms, comma-separated, from flip, rot90, translate, brightness, contrast, saturation "
        "(colour images), cutout");
  t.add("train.seed", c.train.seed, Trajectory::Shapes,
        "seed of weights, data order and noise (identical on all ranks)");
  t.add("train.threads", c.train.threads, Trajectory::Free,
        "intra-op threads per rank; OpenBLAS is held to the same number");
  t.add("train.max_bad_steps", c.train.max_bad_steps, Trajectory::Free,
        "abort after this many consecutive steps whose update was skipped for NaN/Inf");
  t.add("train.device", c.train.device, Trajectory::Free,
        "where a rank trains (auto: the GPU of this rank's local rank when LibTorch has CUDA)");
  t.add("train.precision", c.train.precision, Trajectory::Shapes,
        "fp32; bf16: matrix products and convolutions in bf16 where it pays (the start-up line lists which); "
        "bf16-all: every layer but the logit and an unbounded G output; weights, Adam, losses and penalties stay fp32");
  t.add("comm.backend", c.comm.backend, Trajectory::Free,
        "collective backend (auto: nccl for GPU tensors, mpi under a launcher, else local)");
  t.add("comm.bucket_mb", c.comm.bucket_mb, Trajectory::Free,
        "gradient bucket size in MiB; a bucket's allreduce starts during backward");
  t.add("comm.compress", c.comm.compress, Trajectory::Shapes,
        "how gradients travel (none: exact and world-size invariant; bf16/fp16: 16 bits, rounded; powersgd: "
        "low-rank factors with error feedback, far fewer bytes, approximate)");
  t.add("comm.powersgd_rank", c.comm.powersgd_rank, Trajectory::Shapes,
        "rank of PowerSGD's factors (--comm.compress=powersgd)");
  t.add("comm.powersgd_warmup_steps", c.comm.powersgd_warmup_steps, Trajectory::Shapes,
        "PowerSGD: the first N steps reduce gradients exactly; compression (and its error feedback) starts after");
  t.add("comm.overlap_next_step", c.comm.overlap_next_step, Trajectory::Shapes,
        "run the next step's D real half while G's gradients travel (D without batch norm, no ADA or WGAN-GP; "
        "D's real and generated halves become separate backward passes; same result whether they overlap or not)");
  t.add("comm.check_every", c.comm.check_every, Trajectory::Free,
        "compare parameter/optimizer checksums across ranks every N steps (0: never)");
  t.add("comm.timeout_s", c.comm.timeout_s, Trajectory::Free,
        "watchdog: abort the job, with a verdict naming who never arrived, when a step phase (D step, "
        "G step, checkpoint) or any collective takes longer (seconds); also bounds NCCL's set-up");
  t.add("output.dir", c.output.dir, Trajectory::Free, "output directory (samples/, checkpoints/, metrics.jsonl)");
  t.add("output.log_every", c.output.log_every, Trajectory::Free,
        "console + metrics.jsonl line every N steps (0: never)");
  t.add("output.sample_every", c.output.sample_every, Trajectory::Free, "8x8 sample grid PNG every N steps (0: never)");
  t.add("output.checkpoint_every", c.output.checkpoint_every, Trajectory::Free, "checkpoint every N steps (0: never)");
  t.add("output.checkpoint_mtbf_h", c.output.checkpoint_mtbf_h, Trajectory::Free,
        "expected hours between failures of the whole job (a node's MTBF / nodes); > 0 also checkpoints at Daly's "
        "optimum interval from the measured checkpoint time (0: off)");
  t.add("output.keep_last", c.output.keep_last, Trajectory::Free, "keep only the newest K checkpoints (0: keep all)");
  t.add("output.resume", c.output.resume, Trajectory::Free,
        "auto (newest good checkpoint in output.dir, if any) | never | PATH of a checkpoint directory");
  t.add("output.resume_changes", c.output.resume_changes, Trajectory::Free,
        "resuming with options that change the trajectory (seed, loss, rates, model, data set)");
  t.add("output.tensorboard", c.output.tensorboard, Trajectory::Free,
        "write TensorBoard event files (scalars, sample grids) under OUT/tb/");
  t.add("output.report", c.output.report, Trajectory::Free,
        "write OUT/report.html (curves, samples, config, throughput) at the end");
  t.add("output.timeline", c.output.timeline, Trajectory::Free,
        "Chrome/Perfetto trace of every rank's steps, reductions and checkpoints (PATH, per rank PATH.rankR; "
        "relative: inside output.dir)");
  t.add("output.timeline_steps", c.output.timeline_steps, Trajectory::Free,
        "trace only the first N steps of the run (0: all)");
  t.add("monitor.straggler_every", c.monitor.straggler_every, Trajectory::Free,
        "every N steps the ranks exchange their compute and collective-wait times; rank 0 names ranks that hold "
        "the job up (log, metrics.jsonl, stragglers.jsonl, report) (0: off)");
  t.add("monitor.straggler_threshold", c.monitor.straggler_threshold, Trajectory::Free,
        "a rank whose compute per step is this many times the median rank's is named a straggler (> 1)");
  t.add("monitor.straggler_windows", c.monitor.straggler_windows, Trajectory::Free,
        "the log names a straggler (or a slow link) once it was named in this many consecutive windows (>= 1); "
        "stragglers.jsonl and the report keep every window's verdict");
  t.add("eval.every", c.eval.every, Trajectory::Free,
        "evaluate sample quality every N steps into metrics.jsonl (0: never)");
  t.add("eval.samples", c.eval.samples, Trajectory::Free,
        "generated samples per evaluation (0: 2500 for 2-D data, 10000 for images)");
  t.add("eval.classifier", c.eval.classifier, Trajectory::Free,
        "images: feature network written by `gan_eval train-classifier` (needed when eval.every > 0)");
}

}  // namespace

std::vector<std::string> Config::trajectoryOptions() {
  Config scratch;
  OptionTable table;
  declareOptions(table, scratch);
  return table.trajectoryOptions();
}

std::vector<std::pair<std::string, std::string>> Config::entries() const {
  Config copy = *this;
  OptionTable table;
  declareOptions(table, copy);
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("config", config_file);
  for (const auto& [name, print] : table.printers()) out.emplace_back(name, print());
  return out;
}

namespace {
// Boost.Program_options builds its error messages by replacing placeholders such as %value% with
// the offending text, in a loop that never ends when that text holds the placeholder itself
// (found by the fuzzer, twice: %invalid_line% is the config file syntax error's). Such text is
// refused before Boost sees it; the list is every placeholder Boost 1.74 substitutes.
void refusePlaceholders(const std::string& text, const std::string& where) {
  for (const char* placeholder :
       {"%value%", "%canonical_option%", "%option%", "%original_token%", "%prefix%", "%invalid_line%"}) {
    GAN_CHECK(text.find(placeholder) == std::string::npos, where, " contains '", placeholder,
              "', which is not allowed in an option name or value");
  }
}
}  // namespace

ParsedCommandLine parseCommandLine(int argc, const char* const* argv) {
  ParsedCommandLine result;
  Config& config = result.config;
  OptionTable table;
  declareOptions(table, config);

  po::options_description generic("General");
  generic.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>(&config.config_file),
      "INI file; sections map to dotted names ([train] batch_size = --train.batch_size)");
  po::options_description all;
  all.add(generic).add(table.description());

  for (int i = 1; i < argc; ++i) refusePlaceholders(argv[i], "command line: argument " + std::to_string(i));
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
  } catch (const po::error& e) {
    GAN_FAIL("command line: ", e.what());
  }
  if (vm.count("help")) {
    std::ostringstream help;
    help << "usage: gan_dist [--config FILE.ini] [--section.option=value ...]\n"
         << "       mpirun -np N gan_dist --config FILE.ini   (one rank per process)\n\n"
         << all << "\n"
         << describeEnvironmentVariables();
    result.help_requested = true;
    result.help_text = help.str();
    return result;
  }
  if (vm.count("config")) {
    const std::string path = vm["config"].as<std::string>();
    // An ifstream opens a directory without complaint and reads nothing: training would run on
    // the defaults as if the file were empty.
    GAN_CHECK(!std::filesystem::is_directory(path), "--config: '", path, "' is a directory, expected an INI file");
    std::ifstream file(path);
    GAN_CHECK(file, "--config: cannot open '", path, "'");
    std::ostringstream text;
    text << file.rdbuf();
    std::istringstream lines(text.str());
    int line_number = 0;
    for (std::string line; std::getline(lines, line);) refusePlaceholders(line, path + ": line " + std::to_string(++line_number));
    std::istringstream contents(text.str());
    try {
      // Command-line values were stored first, so they win over the file's.
      po::store(po::parse_config_file(contents, table.description(), /*allow_unregistered=*/false), vm);
    } catch (const po::error& e) {
      GAN_FAIL(path, ": ", e.what());
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    GAN_FAIL("configuration: ", e.what());
  }
  config.validate();
  return result;
}

std::string formatConfigTable(const Config& config) {
  std::ostringstream out;
  out << "effective configuration:\n";
  for (const auto& [name, value] : config.entries()) {
    out << "  " << std::left << std::setw(24) << name << " " << value << "\n";
  }
  return out.str();
}

ResumeMode OutputConfig::resumeMode() const {
  if (resume == "auto") return ResumeMode::Auto;
  if (resume == "never") return ResumeMode::Never;
  return ResumeMode::Checkpoint;
}

}  // namespace gan
