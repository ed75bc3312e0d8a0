// --model.init_from on files made here (tests/support/torch_save_file.h): which network a single
// state dict is for is told by names *and* shapes (the 2-D MLP's G and D are both fc1..fc3), and
// a crafted tensor is refused by its shape or its storage's size before its data is read.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "interop/initial_weights.h"
#include "interop/state_dict_reader.h"
#include "support/error_message.h"
#include "support/small_trainer.h"
#include "support/test_files.h"
#include "support/torch_save_file.h"

namespace gan::interop {
namespace {

using test_support::PickleWriter;

// torch.save(network.state_dict()) of `network`'s tensors, every element `value`.
std::string savedStateDict(torch::nn::Module& network, float value, const std::string& name) {
  PickleWriter pickle;
  pickle.orderedDict().mark();
  std::map<std::string, std::string> records;
  int key = 0;
  for (const auto& [tensor_name, tensor] : stateDictOf(network)) {
    pickle.string(tensor_name);
    test_support::floatTensor(pickle, std::to_string(key), tensor.sizes().vec());
    records["data/" + std::to_string(key++)] = test_support::floatStorage(tensor.numel(), value);
  }
  pickle.setItems().stop();
  records["data.pkl"] = pickle.bytes();
  const std::string path = test_support::freshTempDir("initial_weights_" + name) + "/" + name + ".pt";
  test_support::writeZip(path, records);
  return path;
}

bool allEqual(torch::nn::Module& network, float value) {
  for (const auto& [name, tensor] : stateDictOf(network)) {
    if (!torch::all(tensor == value).item<bool>()) return false;
  }
  return true;
}

TEST(InitialWeights, ASingleStateDictGoesToTheNetworkItFitsInShape) {
  comm::LocalCommunicator alone;
  auto source = test_support::buildSmallTrainer(test_support::smallTrainerConfig(), alone);
  const std::string d_file = savedStateDict(source->discriminator(), 0.25f, "d");
  const std::string g_file = savedStateDict(source->generator(), 0.5f, "g");

  auto trainer = test_support::buildSmallTrainer(test_support::smallTrainerConfig(), alone);
  EXPECT_EQ(loadInitialWeights(d_file, *trainer), "D");
  EXPECT_TRUE(allEqual(trainer->discriminator(), 0.25f));
  EXPECT_FALSE(allEqual(trainer->generator(), 0.25f));
  EXPECT_EQ(loadInitialWeights(g_file, *trainer), "G");
  EXPECT_TRUE(allEqual(trainer->generator(), 0.5f));
  EXPECT_TRUE(allEqual(trainer->discriminator(), 0.25f));
}

// A file of G's names in which each tensor is the view `viewOf` writes (its storage `storage_numel`
// zeros), and the one-line error --model.init_from gives for it.
template <typename ViewOf>
std::string refusalOfCraftedGenerator(const std::string& name, int64_t storage_numel, ViewOf viewOf) {
  comm::LocalCommunicator alone;
  auto trainer = test_support::buildSmallTrainer(test_support::smallTrainerConfig(), alone);
  PickleWriter pickle;
  pickle.orderedDict().mark();
  std::map<std::string, std::string> records;
  for (const auto& [tensor_name, tensor] : stateDictOf(trainer->generator())) {
    viewOf(pickle.string(tensor_name), tensor_name, tensor);
    records["data/" + tensor_name] = test_support::floatStorage(storage_numel, 0);
  }
  records["data.pkl"] = pickle.setItems().stop().bytes();
  const std::string path = test_support::freshTempDir("initial_weights_" + name) + "/" + name + ".pt";
  test_support::writeZip(path, records);
  return test_support::errorMessageOf([&] { loadInitialWeights(path, *trainer); });
}

// A view of 2^30 x 2^30 elements with stride 0 lies inside a one-element storage; cloning it
// would take 4 EiB. It is refused by its shape, before anything is read.
TEST(InitialWeights, AHugeStrideZeroTensorIsRefusedByItsShapeBeforeItIsRead) {
  const std::string message =
      refusalOfCraftedGenerator("huge", 1, [](PickleWriter& pickle, const std::string& key, const torch::Tensor&) {
        pickle.tensor(key, 1, 0, {int64_t(1) << 30, int64_t(1) << 30}, {0, 0});
      });
  EXPECT_NE(message.find("has shape [1073741824, 1073741824] in the file but [8] in the model"),
            std::string::npos)
      << message;
}

// A tensor of the right shape over a storage larger than the whole model: refused before the
// storage is inflated.
TEST(InitialWeights, AStorageLargerThanTheModelIsNotRead) {
  constexpr int64_t kLarge = 1 << 16;
  const std::string message =
      refusalOfCraftedGenerator("large", kLarge, [](PickleWriter& pickle, const std::string& key, const torch::Tensor& tensor) {
        std::vector<int64_t> strides(size_t(tensor.dim()), 1);
        for (int64_t i = tensor.dim() - 1; i-- > 0;) strides[size_t(i)] = strides[size_t(i) + 1] * tensor.size(i + 1);
        pickle.tensor(key, kLarge, 0, tensor.sizes().vec(), strides);
      });
  EXPECT_NE(message.find("a storage of 65536 elements, more than the"), std::string::npos) << message;
  EXPECT_NE(message.find("--model.init_from: "), std::string::npos) << message;
  EXPECT_NE(message.find("large.pt"), std::string::npos) << message;
}

}  // namespace
}  // namespace gan::interop
