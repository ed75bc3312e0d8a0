// gan_sample: images from a checkpoint's generator.
//   gan_sample --checkpoint OUT/checkpoints/latest --n 64 --seed 1 --out grid.png
//   gan_sample --checkpoint DIR --n 1000 --format npy --out samples.npy
//   gan_sample --checkpoint DIR --interpolate --n 8 --out walk.png     (8 rows of 8 steps)
//   gan_sample --checkpoint DIR --n 16 --format npy --out x.npy --noise-out z.npy   (and the z used)
// A conditional model's samples are drawn for classes by the training set's frequencies, or:
//   gan_sample --checkpoint DIR --class 7 --n 64 --out sneakers.png   (every sample of class 7)
//   gan_sample --checkpoint DIR --per-class 8 --out classes.png      (a row per class, 8 columns,
//                                                                       the same noise down each column)
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>

#include "apps/process_setup.h"
#include "common/error.h"
#include "data/latent_noise.h"
#include "process/memory_tuning.h"
#include "checkpoint/networks_from_checkpoint.h"
#include "datasets/gaussian_mixture.h"
#include "datasets/noise_tensors.h"
#include "render/npy_writer.h"
#include "render/png_writer.h"
#include "render/sample_grid.h"
#include "render/scatter_plot.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  gan::process::keepFreedMemoryInProcess();
  std::string checkpoint, out = "samples.png", format = "png", noise_out;
  int64_t n = 64, seed = 0, class_index = -1, per_class = 0;
  bool interpolate = false;
  po::options_description options("gan_sample options");
  options.add_options()("help,h", "print this help")(
      "checkpoint", po::value(&checkpoint), "checkpoint directory (e.g. OUT/checkpoints/latest)")(
      "n", po::value(&n)->default_value(n), "number of samples (with --interpolate: rows of 8 steps)")(
      "seed", po::value(&seed)->default_value(seed), "noise seed: the same seed gives the same images")(
      "out", po::value(&out)->default_value(out), "output file")(
      "format", po::value(&format)->default_value(format), "png (a grid of images, or a scatter plot of 2-D points) | npy (float32 array n x C x H x W, or n x 2)")(
      "interpolate", po::bool_switch(&interpolate), "each row walks linearly between two latent vectors")(
      "noise-out", po::value(&noise_out), "also write the latent vectors z used, as float32 npy (n x latent_dim)")(
      "class", po::value(&class_index), "conditional models: every sample of this class (default: classes drawn "
      "by the training set's frequencies)")(
      "per-class", po::value(&per_class), "conditional models: N samples of every class, a row per class with the "
      "same noise down each column (replaces --n)");
  try {
    po::variables_map vm;
    if (!gan::apps::parseToolOptions(argc, argv, options, vm)) return 0;  // --help
    GAN_CHECK(!checkpoint.empty(), "--checkpoint is required");
    gan::apps::setUpCpu();  // a checkpoint trained in bf16 samples in bf16 here too, on any CPU
    GAN_CHECK(n > 0 && n <= 100000, "--n must be in 1..100000, got ", n);
    GAN_CHECK(format == "png" || format == "npy", "--format must be png or npy, got '", format, "'");

    const auto loaded = gan::checkpoint::loadGeneratorFromCheckpoint(checkpoint);
    const int64_t classes = loaded.generator->classes();
    // Given or not is what counts: a given --class=-1 or --per-class=0 is a mistake, not "off".
    const bool class_given = vm.count("class") > 0, per_class_given = vm.count("per-class") > 0;
    GAN_CHECK(classes > 0 || (!class_given && !per_class_given), "--class and --per-class need a conditional model; ",
              checkpoint, " was trained without --model.conditional");
    GAN_CHECK(!class_given || (class_index >= 0 && class_index < classes), "--class=", class_index, ": expected 0 to ",
              classes - 1, " (the classes of ", checkpoint, ")");
    // Divided, not multiplied: a huge --per-class times the classes would wrap around.
    const int64_t most_per_class = 100000 / std::max<int64_t>(classes, 1);
    GAN_CHECK(!per_class_given || (per_class >= 1 && per_class <= most_per_class), "--per-class must be in 1..",
              most_per_class, " for ", classes, " classes, got ", per_class);
    GAN_CHECK(!per_class_given || (!class_given && !interpolate), "--per-class draws every class on its own row: "
              "it does not combine with --class or --interpolate");
    int64_t columns = interpolate ? 8 : static_cast<int64_t>(std::ceil(std::sqrt(double(n))));
    int64_t rows = interpolate ? n : (n + columns - 1) / columns;
    torch::Tensor z, labels;
    if (per_class > 0) {
      columns = per_class;
      rows = classes;
      auto grid = gan::datasets::classGridInputs(gan::datasets::samplingNoise(seed, per_class, loaded.latent_dim), 0, classes);
      z = grid.z;
      labels = grid.labels;
    } else {
      z = interpolate ? gan::datasets::interpolationNoise(seed, rows, columns, loaded.latent_dim)
                      : gan::datasets::samplingNoise(seed, n, loaded.latent_dim);
      if (class_index >= 0) {
        labels = torch::full({z.size(0)}, class_index, torch::kInt64);
      } else if (classes > 0) {
        // One class per row of an interpolation (the walk is through z alone), else one per sample.
        const int64_t draws = interpolate ? rows : n;
        labels = gan::datasets::classLabelTensor(static_cast<uint64_t>(seed), gan::data::kSamplingNoiseStep, 0, draws,
                                             loaded.class_counts);
        if (interpolate) labels = labels.repeat_interleave(columns);
      }
    }
    auto samples = gan::models::generateSamples(*loaded.generator, z, labels);
    if (!noise_out.empty()) gan::render::writeNpy(noise_out, z);
    std::vector<int64_t> array_shape{samples.size(0)};
    for (int64_t d : loaded.sample_shape) array_shape.push_back(d);
    if (format == "npy") {
      gan::render::writeNpy(out, samples.view(array_shape));
    } else if (loaded.sample_shape.size() != 3) {
      // 2-D points: a scatter plot over the modes of the data set the run trained on.
      GAN_CHECK(!interpolate, "--interpolate needs image samples; this checkpoint generates 2-D points");
      const auto mixture = gan::datasets::GaussianMixtureDataset::named(loaded.config.data.name);
      gan::render::writePng(out, gan::render::makeScatterPlot(samples, *mixture.mixtureModes()));
    } else {
      // Unfilled cells of the last row stay black.
      auto cells = torch::full({rows * columns, samples.size(1)}, -1.0f);
      cells.narrow(0, 0, samples.size(0)).copy_(samples);
      gan::render::writePng(out, gan::render::makeSampleGrid(cells, loaded.sample_shape, rows, columns));
    }
    std::string drawn_for;
    if (per_class > 0) drawn_for = ", " + std::to_string(per_class) + " of each of " + std::to_string(classes) + " classes";
    else if (class_index >= 0) drawn_for = ", class " + std::to_string(class_index);
    else if (classes > 0) drawn_for = ", classes drawn by the training set's frequencies";
    std::printf("gan_sample: %ld samples from step %ld of %s%s%s -> %s\n", long(samples.size(0)), long(loaded.step),
                checkpoint.c_str(), loaded.from_ema ? " (EMA of G)" : "", drawn_for.c_str(), out.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_sample: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
