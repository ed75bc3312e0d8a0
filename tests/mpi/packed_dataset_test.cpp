// The memory-mapped data set under mpirun: every rank of the job opens Fashion-MNIST through one
// fresh cache folder at the same moment (one of them packs it, the others wait on the lock and
// map the result), and each rank's batches and labels equal those of the in-memory IDX reader.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/config.h"
#include "datasets/open_dataset.h"
#include "datasets/image_dataset.h"
#include "data/sample_order.h"
#include "mpi/test_world.h"

namespace {
using namespace gan;

TEST(PackedDataset, EveryRankMapsOneCopyAndSeesTheInMemoryBatches) {
  auto& world = test_support::world();
  const auto cache = std::filesystem::path(::testing::TempDir()) /
                     ("gan_packed_mpi_cache_" + std::to_string(world.worldSize()));
  if (world.rank() == 0) std::filesystem::remove_all(cache);
  world.barrier();

  DataConfig config;
  config.cache_dir = cache.string();
  const auto mapped = datasets::openDataset(config, gan::DataSplit::Train);
  config.cache_dir = "none";
  const auto in_memory = datasets::openDataset(config, gan::DataSplit::Train);
  ASSERT_EQ(mapped->size(), in_memory->size());
  ASSERT_EQ(mapped->sampleShape(), in_memory->sampleShape());
  EXPECT_NE(mapped->description().find("packed, mapped"), std::string::npos) << mapped->description();

  const int64_t per_rank = 16;
  data::GlobalSampleOrder order(mapped->size(), per_rank * world.worldSize(), 7);
  const auto rows = data::rowsForRank(world.rank(), world.worldSize(), per_rank);
  for (int64_t step = 0; step < 5; ++step) {
    const auto indices = order.indicesForStep(step, rows);
    EXPECT_TRUE(torch::equal(mapped->batch(indices, torch::kCPU), in_memory->batch(indices, torch::kCPU))) << step;
    const auto& mapped_images = dynamic_cast<const datasets::ImageDataset&>(*mapped);
    const auto& memory_images = dynamic_cast<const datasets::ImageDataset&>(*in_memory);
    EXPECT_TRUE(torch::equal(mapped_images.labelsOf(indices), memory_images.labelsOf(indices))) << step;
  }
  world.barrier();
  size_t packed_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(cache)) packed_files += entry.path().extension() == ".gpk";
  EXPECT_EQ(packed_files, 1u);
  world.barrier();
  if (world.rank() == 0) std::filesystem::remove_all(cache);
}

}  // namespace
