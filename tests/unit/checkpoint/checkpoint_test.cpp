// Checkpoints: round trip, atomic layout, and refusal of damaged or mismatched ones.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "checkpoint/checkpoint.h"
#include "support/error_message.h"
#include "support/test_files.h"

namespace fs = std::filesystem;

namespace {

struct Fixture {
  gan::Config config;
  gan::comm::LocalCommunicator comm;
  std::unique_ptr<gan::train::GanTrainer> trainer;
  gan::RunDirectory out{""};

  explicit Fixture(int64_t hidden = 32) {
    config.model.hidden_dim = hidden;
    config.model.latent_dim = 8;
    torch::manual_seed(1);
    trainer = std::make_unique<gan::train::GanTrainer>(gan::models::buildGanNetworks(config.model, 16), comm,
                                                       gan::train::TrainerOptions{});
    out = gan::RunDirectory(gan::test_support::freshTempDir(std::string("ckpt_") +
                                                       ::testing::UnitTest::GetInstance()->current_test_info()->name()));
  }
  gan::checkpoint::TrainingPosition position(int64_t step) const { return {step, 1, 4, 10, 42, {4, 4}}; }
  void trainSteps(int n) {
    for (int i = 0; i < n; ++i) trainer->step(torch::rand({4, 16}) * 2 - 1, torch::randn({4, 8}));
  }
};

std::string errorLoading(const std::string& dir, gan::train::GanTrainer& trainer) {
  return gan::test_support::errorMessageOf([&] { gan::checkpoint::loadCheckpoint(dir, trainer); });
}

TEST(Checkpoint, RoundTripRestoresParametersAndOptimizerState) {
  Fixture f;
  f.trainSteps(3);
  const auto dir = gan::checkpoint::writeCheckpoint(f.out, f.position(3), *f.trainer, f.config);
  EXPECT_EQ(fs::path(dir).filename(), "step_00000003");
  for (const char* file : {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt", "state.json", "MANIFEST"}) {
    EXPECT_TRUE(fs::exists(fs::path(dir) / file)) << file;
  }
  const auto g_saved = f.trainer->generatorState().parameters().values().clone();
  const auto d_avg_saved = f.trainer->discriminatorState().optimizer().expAvgSq().clone();
  f.trainSteps(2);
  ASSERT_FALSE(torch::equal(g_saved, f.trainer->generatorState().parameters().values()));

  const auto loaded = gan::checkpoint::loadCheckpoint(dir, *f.trainer);
  EXPECT_EQ(loaded.position.step, 3);
  EXPECT_EQ(loaded.position.world_size, 1);
  EXPECT_EQ(loaded.position.global_batch, 4);
  EXPECT_EQ(loaded.position.sample_shape, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(loaded.state["epoch"], 0);
  EXPECT_EQ(loaded.state["position_in_epoch"], 3);
  EXPECT_TRUE(torch::equal(g_saved, f.trainer->generatorState().parameters().values()));
  EXPECT_TRUE(torch::equal(d_avg_saved, f.trainer->discriminatorState().optimizer().expAvgSq()));
  EXPECT_EQ(f.trainer->generatorState().optimizer().stepCount(), 3);
  EXPECT_EQ(loaded.state["config"]["model.hidden_dim"], "32");
}

// The model files are written from CPU copies (a GPU run's checkpoint must load without CUDA),
// in Module::save's layout (one nested archive per child module): LibTorch users load them with
// Module::load into the same architecture, batch-norm layers included.
TEST(Checkpoint, ModelFilesLoadWithModuleLoad) {
  gan::Config config;
  config.model.latent_dim = 8;
  config.model.hidden_dim = 16;
  config.model.batchnorm = gan::BatchNormPolicy::Local;
  gan::comm::LocalCommunicator comm;
  torch::manual_seed(3);
  gan::train::GanTrainer trainer(gan::models::buildGanNetworks(config.model, 16), comm, gan::train::TrainerOptions{});
  for (int i = 0; i < 2; ++i) trainer.step(torch::rand({4, 16}) * 2 - 1, torch::randn({4, 8}));
  const gan::RunDirectory out(gan::test_support::freshTempDir("ckpt_module_load"));
  const auto dir = gan::checkpoint::writeCheckpoint(out, {2, 1, 4, 10, 42, {4, 4}}, trainer, config);

  torch::manual_seed(4);  // other initial weights: every value must come from the file
  const auto fresh = gan::models::buildGanNetworks(config.model, 16);
  const std::vector<std::pair<torch::nn::Module*, torch::nn::Module*>> pairs = {
      {&trainer.generatorState().module(), fresh.generator.get()},
      {&trainer.discriminatorState().module(), fresh.discriminator.get()}};
  const char* files[] = {"model_G.pt", "model_D.pt"};
  size_t nested = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    auto& [trained, loaded] = pairs[i];
    torch::serialize::InputArchive archive;
    archive.load_from((fs::path(dir) / files[i]).string());
    loaded->load(archive);
    const auto expected = trained->named_parameters();
    for (const auto& parameter : loaded->named_parameters()) {
      EXPECT_TRUE(torch::equal(parameter.value(), expected[parameter.key()])) << files[i] << " " << parameter.key();
      if (parameter.key().rfind("bn", 0) == 0) ++nested;  // "bn2.weight": a child module's
    }
    const auto expected_buffers = trained->named_buffers();
    for (const auto& buffer : loaded->named_buffers()) {
      EXPECT_TRUE(torch::equal(buffer.value(), expected_buffers[buffer.key()])) << files[i] << " " << buffer.key();
    }
  }
  EXPECT_GT(nested, 0u) << "the test should cover the batch-norm layers' parameters";
}

TEST(Checkpoint, LatestPointsAtTheNewestAndNoTemporariesRemain) {
  Fixture f;
  gan::checkpoint::writeCheckpoint(f.out, f.position(1), *f.trainer, f.config);
  const auto second = gan::checkpoint::writeCheckpoint(f.out, f.position(2), *f.trainer, f.config);
  EXPECT_EQ(fs::canonical(gan::checkpoint::latestCheckpoint(f.out)), fs::canonical(second));
  for (const auto& entry : fs::directory_iterator(f.out.checkpoints())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(gan::checkpoint::latestCheckpoint(gan::RunDirectory(f.out.root() / "nowhere")), "");
}

TEST(Checkpoint, ListingAndPruningKeepTheNewest) {
  Fixture f;
  for (int step : {5, 10, 15, 20}) gan::checkpoint::writeCheckpoint(f.out, f.position(step), *f.trainer, f.config);
  fs::create_directories(f.out.checkpoints() / ".step_00000025.tmp");  // an interrupted write
  auto listed = gan::checkpoint::listCheckpoints(f.out);
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(fs::path(listed.front()).filename(), "step_00000020");
  // What crashed jobs leave: the link's temporary, an old job's storage probe; and a live job's.
  fs::create_directory_symlink("step_00000020", f.out.checkpoints() / ".latest.tmp");
  const auto old_probe = f.out.checkpoints() / ".storage_probe.17.1";
  const auto live_probe = f.out.checkpoints() / ".storage_probe.18.1";
  std::ofstream(old_probe) << "probe\n";
  std::ofstream(live_probe) << "probe\n";
  fs::last_write_time(old_probe, fs::file_time_type::clock::now() - std::chrono::minutes(11));
  gan::checkpoint::pruneCheckpoints(f.out, 2);
  listed = gan::checkpoint::listCheckpoints(f.out);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(fs::path(listed.back()).filename(), "step_00000015");
  EXPECT_FALSE(fs::exists(f.out.checkpoints() / ".step_00000025.tmp"));
  EXPECT_FALSE(fs::is_symlink(f.out.checkpoints() / ".latest.tmp"));
  EXPECT_FALSE(fs::exists(old_probe));
  EXPECT_TRUE(fs::exists(live_probe));
}

TEST(Checkpoint, CorruptFileIsRefusedByName) {
  Fixture f;
  const auto dir = gan::checkpoint::writeCheckpoint(f.out, f.position(1), *f.trainer, f.config);
  {
    std::fstream file(fs::path(dir) / "model_D.pt", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x5a');
  }
  const auto error = errorLoading(dir, *f.trainer);
  EXPECT_NE(error.find("model_D.pt: checksum mismatch"), std::string::npos) << error;
}

TEST(Checkpoint, TruncatedAndIncompleteAreRefused) {
  Fixture f;
  const auto dir = gan::checkpoint::writeCheckpoint(f.out, f.position(1), *f.trainer, f.config);
  fs::resize_file(fs::path(dir) / "optim_G.pt", 10);
  EXPECT_NE(errorLoading(dir, *f.trainer).find("optim_G.pt: size 10 differs from MANIFEST"), std::string::npos);
  fs::remove(fs::path(dir) / "MANIFEST");
  EXPECT_NE(errorLoading(dir, *f.trainer).find("MANIFEST: missing"), std::string::npos);
}

TEST(Checkpoint, OtherArchitectureIsRefused) {
  Fixture wide(48);
  Fixture small(32);
  const auto dir = gan::checkpoint::writeCheckpoint(small.out, small.position(1), *small.trainer, small.config);
  const auto error = errorLoading(dir, *wide.trainer);
  EXPECT_NE(error.find("architecture differs"), std::string::npos) << error;
}

}  // namespace

#include "checkpoint/networks_from_checkpoint.h"
#include "support/small_trainer.h"

namespace {

std::unique_ptr<gan::train::GanTrainer> emaTrainer(gan::Config& config, gan::comm::Communicator& comm, double halflife) {
  config = gan::test_support::smallTrainerConfig();
  config.train.ema_halflife_k = halflife;
  return gan::test_support::buildSmallTrainer(config, comm);
}

TEST(Checkpoint, EmaOfGIsSavedRestoredAndSampledFrom) {
  gan::Config config;
  gan::comm::LocalCommunicator comm;
  auto trainer = emaTrainer(config, comm, 0.01);
  for (int i = 0; i < 3; ++i) trainer->step(torch::randn({4, 2}), torch::randn({4, 3}));
  const gan::RunDirectory out(gan::test_support::freshTempDir("ckpt_ema"));
  const auto dir = gan::checkpoint::writeCheckpoint(out, {3, 1, 4, 10, 42, {2}}, *trainer, config);
  ASSERT_TRUE(fs::exists(fs::path(dir) / "ema_G.pt"));
  const auto ema_saved = trainer->generatorState().emaParameters().values().clone();
  ASSERT_FALSE(torch::equal(ema_saved, trainer->generatorState().parameters().values()));

  auto fresh = emaTrainer(config, comm, 0.01);
  const auto loaded = gan::checkpoint::loadCheckpoint(dir, *fresh);
  EXPECT_TRUE(loaded.ema_restored);
  EXPECT_TRUE(torch::equal(fresh->generatorState().emaParameters().values(), ema_saved));

  // gan_sample's path: the generator it rebuilds is the average, not G.
  const auto sampler = gan::checkpoint::loadGeneratorFromCheckpoint(dir);
  EXPECT_TRUE(sampler.from_ema);
  EXPECT_EQ(sampler.sample_shape, (std::vector<int64_t>{2}));
  auto z = torch::randn({5, 3});
  EXPECT_TRUE(torch::allclose(gan::models::generateSamples(*sampler.generator, z),
                              gan::models::generateSamples(trainer->samplingGenerator(), z)));

  // A run without an EMA reads the checkpoint and ignores ema_G.pt; one with an EMA resuming a
  // checkpoint without starts the average from G.
  gan::Config plain_config;
  auto plain = emaTrainer(plain_config, comm, 0);
  EXPECT_FALSE(plain->hasEma());
  gan::checkpoint::loadCheckpoint(dir, *plain);
  const auto plain_dir = gan::checkpoint::writeCheckpoint(gan::RunDirectory(out.root().string() + "_plain"), {3, 1, 4, 10, 42, {2}}, *plain, plain_config);
  EXPECT_FALSE(fs::exists(fs::path(plain_dir) / "ema_G.pt"));
  auto restarted = emaTrainer(config, comm, 0.01);
  EXPECT_FALSE(gan::checkpoint::loadCheckpoint(plain_dir, *restarted).ema_restored);
  EXPECT_TRUE(torch::equal(restarted->generatorState().emaParameters().values(), restarted->generatorState().parameters().values()));
}

}  // namespace

#include "checkpoint/training_position.h"
#include "datasets/data_fingerprint.h"
#include "datasets/open_dataset.h"

namespace {

// ADA's signs over images: |sum| <= count, checked without std::abs (undefined for INT64_MIN,
// which it returned unchanged, so the smallest int64 passed as a small sum).
TEST(TrainingPosition, AnAugmentationSumOfTheSmallestInt64IsRefused) {
  gan::checkpoint::TrainingPosition position{40, 2, 64, 100, 42, {2}, {}, gan::checkpoint::AdaCheckpoint{}};
  nlohmann::json json;
  gan::checkpoint::writePosition(position, json);
  EXPECT_NO_THROW(gan::checkpoint::readPosition(json, "state.json"));
  for (const char* field : {"sign_sum", "pending_sign_sum"}) {
    nlohmann::json bad = json;
    bad["ada"]["count"] = 5;
    bad["ada"]["pending_rows"] = 5;
    bad["ada"][field] = std::numeric_limits<int64_t>::min();
    EXPECT_NE(gan::test_support::errorMessageOf([&] { gan::checkpoint::readPosition(bad, "state.json"); })
                  .find("state.json: impossible augmentation state"),
              std::string::npos)
        << field;
  }
}

}  // namespace

namespace {

// The data fingerprint travels in state.json and reads back equal; a malformed one is refused
// naming the file. Two data sets that differ in one sampled row differ in hash.
TEST(TrainingPosition, TheDataFingerprintRoundTripsAndTellsDataApart) {
  gan::Config config = gan::test_support::smallTrainerConfig();
  auto ring = gan::datasets::openDataset(config.data, gan::DataSplit::Train);
  const auto fingerprint = gan::datasets::fingerprintOf(*ring);
  EXPECT_EQ(fingerprint.count, ring->size());
  EXPECT_EQ(gan::datasets::fingerprintOf(*ring), fingerprint) << "the same data, the same fingerprint";
  gan::checkpoint::TrainingPosition position{40, 2, 64, 100, 42, {2}};
  position.data = fingerprint;
  nlohmann::json json;
  gan::checkpoint::writePosition(position, json);
  const auto read = gan::checkpoint::readPosition(json, "state.json");
  ASSERT_TRUE(read.data.has_value());
  EXPECT_EQ(*read.data, fingerprint);
  json["data"]["hash"] = "not hex";
  EXPECT_NE(gan::test_support::errorMessageOf([&] { gan::checkpoint::readPosition(json, "state.json"); })
                .find("state.json: the data fingerprint's hash is not 16 hex digits"),
            std::string::npos);

  config.data.name = gan::DataSetName::Grid25;
  auto grid = gan::datasets::openDataset(config.data, gan::DataSplit::Train);
  EXPECT_NE(gan::datasets::fingerprintOf(*grid).hash, fingerprint.hash);
}

}  // namespace
