// Training on your own images, end to end: gan_data packs a folder (progress, bad files named,
// labels from folders), gan_dist trains from the packed file on 2 ranks and refuses a damaged
// one in one line, an image folder is packed on first use once per node, and Fashion-MNIST
// exported to PNG files and packed trains bit for bit like the IDX files it came from.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data/idx_reader.h"
#include "e2e/process_helpers.h"
#include "support/image_files.h"

namespace fs = std::filesystem;

namespace {
using namespace gan::e2e;

std::string ganData() { return GAN_DATA_BINARY; }

// `count` RGBA images of side `side` in two class folders, and one broken file.
std::string writeTwoClassFolder(const std::string& root, int count, int side) {
  gan::test_support::writeTwoClassImages(root, count, side);
  gan::test_support::writeBytes(root + "/blue/broken.png", std::string("\x89PNG\r\n\x1a\n truncated", 18));
  return root;
}

std::string dcganOn(const std::string& data_options, const std::string& out, int steps) {
  return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_dcgan.ini " + data_options +
         " --model.width=8 --train.batch_size=8 --train.max_steps=" + std::to_string(steps) + " --output.dir=" + out +
         " --output.log_every=1 --output.sample_every=0 --output.checkpoint_every=0 --eval.every=0";
}

TEST(OwnImages, GanDataPacksAFolderAndGanDistTrainsFromIt) {
  const auto dir = gan::test_support::freshTempDir("e2e_own_pack");
  const auto images = writeTwoClassFolder(dir + "/images", 24, 20);
  const auto packed = dir + "/images.gpk";
  const auto pack = run(ganData() + " pack --images " + images + " --out " + packed + " --resolution 16");
  ASSERT_EQ(pack.exit_code, 0) << pack.output;
  EXPECT_NE(pack.output.find("packed 25/25 images"), std::string::npos) << pack.output;  // progress, not a tty
  EXPECT_NE(pack.output.find("skipped " + images + "/blue/broken.png: unreadable PNG"), std::string::npos)
      << pack.output;
  EXPECT_NE(pack.output.find("packed 24 images of 3x16x16 into " + packed + "; 1 bad files skipped"),
            std::string::npos) << pack.output;
  EXPECT_NE(pack.output.find("2 classes: blue red"), std::string::npos) << pack.output;
  const auto info = run(ganData() + " info " + packed);
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_NE(info.output.find("24 images of 3x16x16"), std::string::npos) << info.output;
  EXPECT_NE(info.output.find("class 1 red: 12 images"), std::string::npos) << info.output;

  const auto trained = run(mpirun(2) + dcganOn("--data.name=packed --data.path=" + packed, dir + "/run", 3));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find(packed + " (packed, mapped) (24 images of 3x16x16)"), std::string::npos)
      << trained.output;

  // --on-bad-image=fail: the bad file is named, nothing is written.
  const auto strict = run(ganData() + " pack --images " + images + " --out " + dir + "/strict.gpk --on-bad-image=fail");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.output.find("gan_data: error: " + images + "/blue/broken.png"), std::string::npos) << strict.output;
  EXPECT_FALSE(fs::exists(dir + "/strict.gpk"));

  // A damaged packed file ends the job on every rank with one line naming it.
  fs::copy_file(packed, dir + "/damaged.gpk");
  {
    std::fstream file(dir + "/damaged.gpk", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1000);
    file.put('\x7f');
  }
  const auto refused = run(mpirun(2) + dcganOn("--data.name=packed --data.path=" + dir + "/damaged.gpk", dir + "/bad", 3));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find(dir + "/damaged.gpk: checksum mismatch"), std::string::npos) << refused.output;
}

TEST(OwnImages, AnImageFolderIsPackedOnFirstUseOncePerNode) {
  const auto dir = gan::test_support::freshTempDir("e2e_own_folder");
  const auto images = writeTwoClassFolder(dir + "/icons", 16, 64);
  const std::string data = "--data.name=image_folder --data.path=" + images + " --data.cache_dir=" + dir + "/cache";
  const auto first = run(mpirun(2) + dcganOn(data, dir + "/first", 2));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  size_t packings = 0;
  for (size_t at = 0; (at = first.output.find("packing the data set once", at)) != std::string::npos; ++at) ++packings;
  EXPECT_EQ(packings, 1u) << first.output;
  EXPECT_NE(first.output.find("blue/broken.png"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("(16 images of 3x64x64)"), std::string::npos) << first.output;
  const auto second = run(mpirun(2) + dcganOn(data, dir + "/second", 2));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.output.find("packing the data set once"), std::string::npos) << second.output;
}

// Review defect: an RGBA data set passed validation and then aborted at the first sample grid
// (the PNG writer takes 1 or 3 channels), and again at every resume. Now the grid is drawn over a
// checkerboard: training writes its grids and checkpoint, resumes, and gan_sample writes a PNG.
TEST(OwnImages, RgbaImagesTrainWriteGridsAndSample) {
  const auto dir = gan::test_support::freshTempDir("e2e_own_rgba");
  const auto images = writeTwoClassFolder(dir + "/icons", 8, 16);
  // (dcganOn turns grids and checkpoints off, and an option may not be given twice.)
  const std::string options = ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_dcgan.ini " +
                              "--data.name=image_folder --data.color=rgba --data.resolution=16 --data.path=" + images +
                              " --data.cache_dir=" + dir + "/cache --model.width=8 --train.batch_size=8 --output.dir=" +
                              dir + "/run --output.log_every=1 --output.sample_every=2 --output.checkpoint_every=2 "
                              "--eval.every=0";
  const auto first = run(options + " --train.max_steps=2");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("(8 images of 4x16x16)"), std::string::npos) << first.output;
  EXPECT_TRUE(fs::exists(dir + "/run/samples/step_00000002.png"));
  const auto resumed = run(options + " --train.max_steps=4");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos) << resumed.output;
  EXPECT_TRUE(fs::exists(dir + "/run/samples/step_00000004.png"));
  const auto sampled = run(std::string(GAN_SAMPLE_BINARY) + " --checkpoint " + dir +
                           "/run/checkpoints/latest --n 4 --out " + dir + "/sampled.png");
  ASSERT_EQ(sampled.exit_code, 0) << sampled.output;
  EXPECT_TRUE(fs::exists(dir + "/sampled.png"));
}

// The shipped icons config on Debian's oxygen icons (launch/install_deps.sh installs them): the
// folder is found, packed and trained on at 64x64.
TEST(OwnImages, TheOxygenIconsConfigTrains) {
  const auto dir = gan::test_support::freshTempDir("e2e_own_icons");
  const auto result = run(ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/oxygen_icons_dcgan.ini --data.cache_dir=" +
                          dir + "/cache --train.max_steps=2 --output.log_every=1 --output.sample_every=2 " +
                          "--output.checkpoint_every=0 --output.dir=" + dir + "/run");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("packed 590 images (0 skipped, 9 classes)"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("(590 images of 3x64x64)"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(dir + "/run/samples/step_00000002.png"));
}

// The first `count` Fashion-MNIST training images as an MNIST-format folder (IDX files) and as
// PNG files named in order, without class folders.
void exportFashionMnist(int64_t count, const std::string& idx_dir, const std::string& png_dir) {
  const auto images = gan::data::readIdxFile("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  const auto labels = gan::data::readIdxFile("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz");
  const auto header = [](std::vector<uint32_t> dims) {
    std::string bytes = {0, 0, 8, char(dims.size())};
    for (uint32_t d : dims) {
      for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(char(d >> shift));
    }
    return bytes;
  };
  const size_t side = size_t(images.dims[1]), bytes = side * side;
  gan::test_support::writeBytes(idx_dir + "/train-images-idx3-ubyte",
                                header({uint32_t(count), uint32_t(side), uint32_t(side)}) +
                                    std::string(images.values.begin(), images.values.begin() + count * bytes));
  gan::test_support::writeBytes(idx_dir + "/train-labels-idx1-ubyte",
                                header({uint32_t(count)}) +
                                    std::string(labels.values.begin(), labels.values.begin() + count));
  for (int64_t i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%05ld.png", long(i));
    gan::test_support::writeTestPng(png_dir + name, int(side), int(side), 1,
                                    std::vector<uint8_t>(images.values.begin() + i * bytes,
                                                         images.values.begin() + (i + 1) * bytes));
  }
}

TEST(OwnImages, FashionMnistAsPngFilesTrainsBitwiseLikeTheIdxFiles) {
  const auto dir = gan::test_support::freshTempDir("e2e_own_equivalence");
  exportFashionMnist(3000, dir + "/idx", dir + "/png");
  const auto pack = run(ganData() + " pack --images " + dir + "/png --out " + dir + "/fm.gpk --resolution 28 --color gray");
  ASSERT_EQ(pack.exit_code, 0) << pack.output;
  const auto job = [&](const std::string& data, const std::string& out) {
    return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_mlp.ini " + data +
           " --train.max_steps=30 --output.dir=" + out +
           " --output.log_every=5 --output.sample_every=0 --output.checkpoint_every=30";
  };
  const auto from_idx = run(job("--data.name=mnist --data.path=" + dir + "/idx --data.cache_dir=none", dir + "/a"));
  ASSERT_EQ(from_idx.exit_code, 0) << from_idx.output;
  const auto from_png = run(job("--data.name=packed --data.path=" + dir + "/fm.gpk", dir + "/b"));
  ASSERT_EQ(from_png.exit_code, 0) << from_png.output;
  // And the IDX files through the cache (packed, mapped): the same run again.
  const auto cached = run(job("--data.name=mnist --data.path=" + dir + "/idx --data.cache_dir=" + dir + "/cache", dir + "/c"));
  ASSERT_EQ(cached.exit_code, 0) << cached.output;
  for (const char* file : {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt"}) {
    const auto a = readText(dir + "/a/checkpoints/step_00000030/" + file);
    EXPECT_FALSE(a.empty()) << file;
    EXPECT_EQ(a, readText(dir + "/b/checkpoints/step_00000030/" + file)) << file;
    EXPECT_EQ(a, readText(dir + "/c/checkpoints/step_00000030/" + file)) << file;
  }
  const auto a = metricLines(dir + "/a"), b = metricLines(dir + "/b"), c = metricLines(dir + "/c");
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["loss_d"], b[i]["loss_d"]) << i;
    EXPECT_EQ(a[i]["loss_g"], b[i]["loss_g"]) << i;
    EXPECT_EQ(a[i]["loss_d"], c[i]["loss_d"]) << i;
  }
}

}  // namespace

namespace {

// A resume checks the data against the checkpoint's fingerprint: one image added to the folder
// (which reshuffles the sample order) is refused in one line naming both, unless
// --data.allow_changed says to go on; and two ranks that open different data end the job naming
// the rank that differs.
TEST(OwnImages, ChangedDataIsRefusedAtResumeAndBetweenRanks) {
  const auto dir = gan::test_support::freshTempDir("e2e_changed_data");
  const auto images = gan::test_support::writeTwoClassImages(dir + "/icons", 8, 32);
  auto train = [&](const std::string& folder, int steps, const std::string& extra) {
    return ganDist() + " --config " + GAN_SOURCE_DIR + "/configs/fashion_mnist_dcgan.ini --data.name=image_folder " +
           "--data.path=" + folder + " --data.cache_dir=" + dir + "/cache --data.resolution=32 --model.width=8 " +
           "--train.batch_size=4 --train.max_steps=" + std::to_string(steps) + " --output.dir=" + dir + "/out " +
           "--output.log_every=1 --output.sample_every=0 --output.checkpoint_every=2 --eval.every=0 " +
           "--output.report=false --output.tensorboard=false " + extra;
  };
  ASSERT_EQ(run(train(images, 2, "")).exit_code, 0);
  gan::test_support::writeTwoClassImages(dir + "/more", 9, 32);
  fs::copy_file(dir + "/more/red/008.png", images + "/red/008.png");

  const auto refused = run(train(images, 4, ""));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(countLines(refused.output, "error"), 1) << refused.output;
  EXPECT_NE(refused.output.find("--output.resume: the data differs from what the checkpoint was trained on (8 samples "
                                "of [3, 32, 32], 2 classes, hash "),
            std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find(" then, 9 samples of [3, 32, 32], 2 classes, hash "), std::string::npos)
      << refused.output;
  EXPECT_EQ(refused.output.find("step 3"), std::string::npos) << "trained before refusing";

  const auto allowed = run(train(images, 4, "--data.allow_changed=true"));
  ASSERT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("going on with it (--data.allow_changed)"), std::string::npos) << allowed.output;
  EXPECT_NE(allowed.output.find("resumed from "), std::string::npos) << allowed.output;

  // Rank 1 opens a folder with two images fewer than rank 0's (MPMD: one command per rank).
  fs::remove_all(dir + "/out");
  const auto fewer = gan::test_support::writeTwoClassImages(dir + "/fewer", 7, 32);
  const auto ranks = run(mpirun(1) + train(images, 2, "") + " : -np 1 " + train(fewer, 2, ""));
  EXPECT_NE(ranks.exit_code, 0);
  EXPECT_NE(ranks.output.find("rank 1 opened other data than rank 0 (7 samples"), std::string::npos) << ranks.output;
}

}  // namespace
