// Class-conditional GANs and the held-out split, end to end: the per-class progress picture,
// gan_sample --class / --per-class, the refusals, and --data.holdout's images never trained on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "data/packed_file.h"
#include "datasets/dataset_subset.h"
#include "datasets/image_dataset.h"
#include "e2e/process_helpers.h"
#include "render/png_writer.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

std::string conditionalJob(const std::string& out, int64_t steps, const std::string& extra = "") {
  return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --model.conditional=true" +
         " --train.max_steps=" + std::to_string(steps) + " --output.dir=" + out +
         " --output.log_every=10 --output.sample_every=" + std::to_string(steps) + " " + extra;
}

std::string sample(const std::string& checkpoint, const std::string& arguments) {
  return std::string(GAN_SAMPLE_BINARY) + " --checkpoint " + checkpoint + " " + arguments;
}

// The float32 values of an .npy file (format 1.0: magic, version, header length, header).
std::vector<float> npyValues(const std::string& path) {
  const std::string bytes = readText(path);
  const size_t header = 10 + size_t(uint8_t(bytes[8])) + 256 * size_t(uint8_t(bytes[9]));
  std::vector<float> values((bytes.size() - header) / sizeof(float));
  std::memcpy(values.data(), bytes.data() + header, values.size() * sizeof(float));
  return values;
}

// The per-pixel standard deviation over a class's samples, averaged over pixels and classes, of
// `gan_sample --per-class N` (rows of one class, N noise vectors each).
double withinClassSpread(const std::vector<float>& grid, size_t classes, size_t per_class, size_t pixels) {
  double total = 0;
  for (size_t k = 0; k < classes; ++k) {
    for (size_t p = 0; p < pixels; ++p) {
      double sum = 0, squares = 0;
      for (size_t n = 0; n < per_class; ++n) {
        const double v = grid[(k * per_class + n) * pixels + p];
        sum += v;
        squares += v * v;
      }
      const double mean = sum / double(per_class);
      total += std::sqrt(std::max(0.0, squares / double(per_class) - mean * mean));
    }
  }
  return total / double(classes * pixels);
}

// Without the mode-seeking term this conditional DCGAN stops using z within a few hundred steps
// and draws one image per class; with it a class's samples stay apart (measured at 300 steps,
// width 16: spread 0.09 without, 0.37 with; at 500 steps and width 32, 0.07 against 0.39, where
// real Fashion-MNIST spreads 0.39 within a class). The term's ratio is logged at every line.
TEST(Conditional, ModeSeekingKeepsAClassesSamplesApart) {
  auto spreadAfterTraining = [](const std::string& name, const std::string& mode_seeking) {
    const auto out = outputDir(name);
    const auto trained = run(mpirun(2) + ganDist() + " --config " + GAN_SOURCE_DIR +
                             "/configs/fashion_mnist_conditional_dcgan.ini --model.width=16 --train.max_steps=300"
                             " --train.ema_halflife_k=0"  // G as trained, not the config's EMA of it
                             " --train.seed=1 --output.log_every=100 --output.sample_every=0 --eval.every=0"
                             " --output.tensorboard=false --train.mode_seeking=" + mode_seeking + " --output.dir=" + out);
    EXPECT_EQ(trained.exit_code, 0) << trained.output;
    const auto sampled = run(std::string(GAN_SAMPLE_BINARY) + " --checkpoint " + out +
                             "/checkpoints/latest --per-class 16 --format npy --out " + out + "/per_class.npy");
    EXPECT_EQ(sampled.exit_code, 0) << sampled.output;
    const auto lines = metricLines(out);
    const bool logged = !lines.empty() && std::all_of(lines.begin(), lines.end(), [](const nlohmann::json& line) {
      return !line.contains("loss_d") || (line.contains("mode_seeking_ratio") && line["mode_seeking_ratio"].get<double>() > 0);
    });
    EXPECT_EQ(logged, mode_seeking != "0") << out;
    EXPECT_EQ(readText(out + "/report.html").find("Mode seeking: image / noise distance") != std::string::npos,
              mode_seeking != "0");
    return withinClassSpread(npyValues(out + "/per_class.npy"), 10, 16, 784);
  };
  const double without = spreadAfterTraining("mode_seeking_off", "0");
  const double with = spreadAfterTraining("mode_seeking_on", "1");
  EXPECT_GT(with, 2 * without) << "within-class spread " << with << " with the term, " << without << " without";
  EXPECT_GT(with, 0.2);
}

TEST(Conditional, PerClassPictureAndSamplingByClassOnTwoRanks) {
  const auto out = outputDir("conditional");
  const auto trained = run(mpirun(2) + conditionalJob(out, 30));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find("conditional on 10 classes; generated rows draw their class from the training set's "
                                "frequencies (6000 images each)"),
            std::string::npos)
      << trained.output;
  // The progress picture: a row per class, eight columns.
  const auto picture = gan::render::readPng(out + "/samples/step_00000030.png");
  EXPECT_EQ(picture.width, 8 * 28 + 9 * 2);
  EXPECT_EQ(picture.height, 10 * 28 + 11 * 2);

  const std::string checkpoint = out + "/checkpoints/latest";
  auto result = run(sample(checkpoint, "--per-class 4 --seed 5 --format npy --out " + out + "/per_class.npy"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("40 samples from step 30"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("4 of each of 10 classes"), std::string::npos) << result.output;
  result = run(sample(checkpoint, "--class 3 --n 4 --seed 5 --format npy --out " + out + "/class3.npy"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Row 3 of the per-class grid is class 3 drawn on the same four noise vectors.
  const auto grid = npyValues(out + "/per_class.npy"), three = npyValues(out + "/class3.npy");
  ASSERT_EQ(grid.size(), 40u * 784);
  ASSERT_EQ(three.size(), 4u * 784);
  // (Within rounding: a product over 40 rows and one over 4 sum in another order.)
  auto largestDifference = [&](size_t row) {
    float largest = 0;
    for (size_t i = 0; i < three.size(); ++i) largest = std::max(largest, std::abs(grid[row * 4 * 784 + i] - three[i]));
    return largest;
  };
  EXPECT_LT(largestDifference(3), 1e-5);
  EXPECT_GT(largestDifference(2), 0.1) << "another class on the same noise is another image";
  result = run(sample(checkpoint, "--per-class 3 --out " + out + "/per_class.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(gan::render::readPng(out + "/per_class.png").height, 10 * 28 + 11 * 2);
  // Plain sampling still works: the classes are drawn by the training set's frequencies.
  result = run(sample(checkpoint, "--n 9 --out " + out + "/drawn.png"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("classes drawn by the training set's frequencies"), std::string::npos) << result.output;

  result = run(sample(checkpoint, "--class 10 --out " + out + "/bad.png"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--class=10: expected 0 to 9"), std::string::npos) << result.output;
  result = run(sample(checkpoint, "--per-class 2 --class 1 --out " + out + "/bad.png"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--per-class draws every class on its own row"), std::string::npos) << result.output;
  // Given values out of range are refused, never taken as "not given" (which drew by frequency),
  // and a --per-class whose grid would overflow 64 bits is refused before any noise is drawn.
  for (const auto& [options, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--class=-1", "--class=-1: expected 0 to 9"},
           {"--per-class=0", "--per-class must be in 1..10000 for 10 classes, got 0"},
           {"--per-class=-3", "--per-class must be in 1..10000 for 10 classes, got -3"},
           {"--per-class=10001", "--per-class must be in 1..10000 for 10 classes, got 10001"},
           {"--per-class=1844674407370955162", "--per-class must be in 1..10000 for 10 classes, got 1844674407370955162"}}) {
    fs::remove(out + "/bad.png");
    result = run(sample(checkpoint, options + " --out " + out + "/bad.png"));
    EXPECT_EQ(result.exit_code, 1) << options << "\n" << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << options << "\n" << result.output;
    EXPECT_FALSE(fs::exists(out + "/bad.png")) << options;
  }
}

TEST(Conditional, RefusedAtStartWhereThereAreNoLabels) {
  const auto out = outputDir("conditional_refused");
  auto result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/ring8_mlp.ini --model.conditional=true" +
                    " --output.dir=" + out);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--model.conditional needs labelled data; --data.name=ring8 is 2-D points with no labels"),
            std::string::npos)
      << result.output;
  // A packed file without labels is refused naming it.
  fs::create_directories(out);
  const std::string packed = out + "/unlabelled.gpk";
  {
    gan::data::PackedFileWriter writer(packed, {1, 28, 28});
    std::vector<uint8_t> pixels(784, 7);
    for (int i = 0; i < 20; ++i) writer.append(pixels.data());
    writer.finish();
  }
  result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --model.conditional=true" +
               " --data.name=packed --data.path=" + packed + " --train.batch_size=4 --output.dir=" + out + "/run");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find(packed), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("--model.conditional needs labelled data; --data.name=packed ("), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("has no labels (a conditional model needs a class for every image"), std::string::npos)
      << result.output;
  // An unconditional checkpoint has no classes to ask for.
  const auto plain = out + "/plain";
  ASSERT_EQ(run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --train.max_steps=2" +
                " --output.dir=" + plain).exit_code, 0);
  result = run(sample(plain + "/checkpoints/latest", "--per-class 2 --out " + out + "/x.png"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--class and --per-class need a conditional model"), std::string::npos) << result.output;
}

// --data.holdout on a packed file whose held-out images are exactly the images of class 1:
// if training read any of them, a conditional model would see class 1. It sees one class.
TEST(Holdout, HeldOutImagesAreNeverTrainedOnAtAnyWorldSize) {
  const auto out = outputDir("holdout");
  fs::create_directories(out);
  constexpr int64_t kImages = 80, kHeldOut = 16;
  gan::DataConfig data;
  data.name = gan::DataSetName::Packed;
  data.path = out + "/set.gpk";
  data.holdout = double(kHeldOut);
  // Which images the split sets aside depends on the set's size alone: ask it of a stand-in.
  auto stand_in = std::make_unique<gan::datasets::ImageDataset>(torch::zeros({kImages, 1, 1}, torch::kUInt8), 1, 1, 1);
  const auto held_out = gan::datasets::DatasetSubset::heldOutPart(std::move(stand_in), data);
  const auto& held = dynamic_cast<const gan::datasets::DatasetSubset&>(*held_out).keptIndices();
  ASSERT_EQ(held.size(), size_t(kHeldOut));
  {
    gan::data::PackedFileWriter writer(data.path, {1, 28, 28});
    for (int64_t i = 0; i < kImages; ++i) {
      const bool aside = std::find(held.begin(), held.end(), i) != held.end();
      std::vector<uint8_t> pixels(784, uint8_t(aside ? 255 : 3 * i));
      writer.append(pixels.data(), aside ? 1 : 0);
    }
    writer.finish({"kept", "held_out"});
  }
  for (int ranks : {1, 2}) {
    const auto result = run((ranks > 1 ? mpirun(ranks) : std::string()) + ganDist() + " --config " + GAN_SOURCE_DIR +
                            "/configs/fashion_mnist_mlp.ini --model.conditional=true --data.name=packed --data.path=" +
                            data.path + " --data.holdout=16 --train.batch_size=8 --train.max_steps=20 --output.dir=" +
                            out + "/run" + std::to_string(ranks));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("64 of the 80 samples of"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("--data.holdout keeps 16 aside"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("conditional on 1 class; generated rows draw their class from the training set's "
                                 "frequencies (64 images each)"),
              std::string::npos)
        << result.output;
  }
  // A fraction sets aside the same images; on a data set with a test split the option is refused.
  auto result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --model.conditional=true" +
                    " --data.name=packed --data.path=" + data.path + " --data.holdout=0.2 --train.batch_size=8" +
                    " --train.max_steps=2 --output.dir=" + out + "/fraction");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("conditional on 1 class;"), std::string::npos) << result.output;
  result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini --data.holdout=100" +
               " --output.dir=" + out + "/idx");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--data.holdout applies to --data.name=packed or image_folder; fashion_mnist keeps its "
                               "official test split"),
            std::string::npos)
      << result.output;
}

}  // namespace
