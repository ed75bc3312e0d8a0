// The torch.save reader (interop/format) on files made here: what Python and LibTorch write is
// read, and each crafted file of the review (#42 item 1) is refused in one line, without reading
// past a buffer, recursing without bound or inflating more than the file promises.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "common/error.h"
#include "interop/format/state_dict_file.h"
#include "support/error_message.h"
#include "support/test_files.h"
#include "support/torch_save_file.h"

namespace gan::interop::format {
namespace {

using test_support::errorMessageOf;
using test_support::PickleWriter;

// This test's own scratch directory: CTest runs the cases of one binary as parallel processes.
std::string scratchDir() {
  return test_support::freshTempDir(std::string("state_dict_file_") +
                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

// A torch.save file of `pickle` and the given storages, opened.
StateDictFile saved(const PickleWriter& pickle, std::map<std::string, std::string> storages = {},
                    const std::string& name = "file.pt") {
  const std::string path = scratchDir() + "/" + name;
  std::map<std::string, std::string> records = {{"data.pkl", pickle.bytes()}};
  for (auto& [key, bytes] : storages) records["data/" + key] = std::move(bytes);
  test_support::writeZip(path, records);
  return StateDictFile::open(path);
}

std::string refusal(const PickleWriter& pickle, std::map<std::string, std::string> storages = {}) {
  return errorMessageOf([&] { saved(pickle, std::move(storages)); });
}

// {"fc.weight": 2x3, "fc.bias": 3} as torch.save(module.state_dict()) writes it.
PickleWriter twoTensors() {
  PickleWriter pickle;
  pickle.orderedDict().mark().string("fc.weight");
  test_support::floatTensor(pickle, "0", {2, 3});
  pickle.string("fc.bias");
  test_support::floatTensor(pickle, "1", {3});
  pickle.setItems().stop();
  return pickle;
}

TEST(StateDictFile, ReadsTheTensorsOfAStateDictAndTheirBytes) {
  const auto file = saved(twoTensors(), {{"0", test_support::floatStorage(6, 1.5f)}, {"1", test_support::floatStorage(3, 2)}});
  const auto& tensors = file.contents().tensors;
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_TRUE(file.contents().nested.empty());
  const SavedTensor& weight = tensors.at("fc.weight");
  EXPECT_EQ(weight.sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(weight.strides, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(weight.numel, 6);
  EXPECT_EQ(weight.type, ElementType::Float);
  const std::string bytes = file.storageBytes(tensors.at("fc.bias"), /*max_elements=*/10);
  ASSERT_EQ(bytes.size(), 12u);
  float first = 0;
  std::memcpy(&first, bytes.data(), 4);
  EXPECT_EQ(first, 2.0f);
}

TEST(StateDictFile, ReadsADictOfStateDicts) {
  PickleWriter pickle;
  pickle.emptyDict().mark();
  for (const char* network : {"generator", "discriminator"}) {
    pickle.string(network).orderedDict().mark().string("w");
    test_support::floatTensor(pickle, network, {4});
    pickle.setItems();
  }
  pickle.setItems().stop();
  const auto file = saved(pickle, {{"generator", test_support::floatStorage(4, 0)},
                                   {"discriminator", test_support::floatStorage(4, 0)}});
  EXPECT_TRUE(file.contents().tensors.empty());
  ASSERT_EQ(file.contents().nested.size(), 2u);
  EXPECT_EQ(file.contents().nested.at("discriminator").at("w").storage, "discriminator");
}

// What LibTorch's pickler (torch::pickle_save, gan_export's state dicts) writes around a typed
// dict: restore_type_tag(dict, "Dict[str, Tensor]").
TEST(StateDictFile, ReadsLibTorchsTypeTaggedDict) {
  PickleWriter pickle;
  pickle.global("torch.jit._pickle", "restore_type_tag").mark().emptyDict().mark().string("w");
  test_support::floatTensor(pickle, "0", {2});
  pickle.setItems().string("Dict[str, Tensor]").tuple().reduce().stop();
  const auto file = saved(pickle, {{"0", test_support::floatStorage(2, 0)}});
  EXPECT_EQ(file.contents().tensors.count("w"), 1u);
}

PickleWriter oneTensor(int64_t storage_numel, int64_t offset, std::vector<int64_t> sizes, std::vector<int64_t> strides,
                       const std::string& type = "FloatStorage") {
  PickleWriter pickle;
  pickle.orderedDict().string("w").tensor("0", storage_numel, offset, sizes, strides, type).setItem().stop();
  return pickle;
}

// Signed 64-bit bounds arithmetic used to wrap: these views passed "inside its storage".
TEST(StateDictFile, RefusesViewsWhoseBoundsOverflow) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  EXPECT_NE(refusal(oneTensor(4, max, {2}, {1})).find("reaches past 2^63"), std::string::npos);
  EXPECT_NE(refusal(oneTensor(4, 0, {2, int64_t(1) << 62}, {int64_t(1) << 62, 1})).find("2^63"), std::string::npos);
  EXPECT_NE(refusal(oneTensor(4, 0, {int64_t(1) << 32, int64_t(1) << 32}, {0, 0})).find("more than 2^63 elements"),
            std::string::npos);
  EXPECT_NE(refusal(oneTensor(4, 3, {2}, {1})).find("reaches past its storage"), std::string::npos);
  EXPECT_NE(refusal(oneTensor(4, -1, {2}, {1})).find("negative offset"), std::string::npos);
  EXPECT_NE(refusal(oneTensor(4, 0, {2}, {-1})).find("negative size or stride"), std::string::npos);
  // numel x element size past 2^63.
  EXPECT_NE(refusal(oneTensor(max / 2, 0, {1}, {1})).find("impossible size"), std::string::npos);
}

TEST(StateDictFile, RefusesAStorageRecordOfAnotherSize) {
  const std::string message = refusal(oneTensor(4, 0, {4}, {1}), {{"0", test_support::floatStorage(3, 0)}});
  EXPECT_NE(message.find("data/0 holds 12 bytes, the storage of 'w' needs 16"), std::string::npos) << message;
  EXPECT_NE(refusal(oneTensor(4, 0, {4}, {1})).find("has no data/0"), std::string::npos);
}

// A stride-0 view of a huge size is accepted as a description (it lies inside its storage) but
// costs nothing until read, and the storage it reads is bounded by the caller.
TEST(StateDictFile, AHugeStrideZeroViewIsADescriptionNotAnAllocation) {
  const auto file = saved(oneTensor(1, 0, {int64_t(1) << 40}, {0}), {{"0", test_support::floatStorage(1, 0)}});
  EXPECT_EQ(file.contents().tensors.at("w").numel, int64_t(1) << 40);
  EXPECT_EQ(file.storageBytes(file.contents().tensors.at("w"), 1).size(), 4u);
  EXPECT_NE(errorMessageOf([&] { file.storageBytes(file.contents().tensors.at("w"), 0); }).find("more than the 0"),
            std::string::npos);
}

// 250,000 nested tuples (a 250 KB pickle) used to overflow the stack when freed.
TEST(StateDictFile, RefusesDeepNestingWithoutRecursion) {
  PickleWriter pickle;
  pickle.raw("N").raw(std::string(250000, char(0x85))).stop();
  EXPECT_NE(refusal(pickle).find("nested more than 32 deep"), std::string::npos);
  // Lists nested 100,000 deep through the memo (each appended to the one before after it was
  // made): no depth is visible when each is appended, and nothing recurses either.
  PickleWriter lists;
  auto index = [](uint32_t i) { return std::string{char(i), char(i >> 8), char(i >> 16), char(i >> 24)}; };
  lists.emptyList().raw("r" + index(0));
  for (uint32_t i = 0; i < 100000; ++i) {
    lists.raw("j" + index(i)).emptyList().raw("r" + index(i + 1)).append().raw("0");
  }
  lists.stop();
  EXPECT_NE(refusal(lists).find("holds no dict"), std::string::npos);
}

// A list appended to itself is a cycle: refused as no dict, and (under the sanitizer tree's
// leak checker) nothing leaks.
TEST(StateDictFile, AListThatHoldsItselfNeitherLeaksNorRecurses) {
  PickleWriter pickle;
  pickle.emptyList().dup().append().stop();
  EXPECT_NE(refusal(pickle).find("holds no dict"), std::string::npos);
  PickleWriter in_dict;
  in_dict.emptyDict().raw(std::string("q\0", 2)).string("self").raw(std::string("h\0", 2)).setItem().stop();
  EXPECT_NE(refusal(in_dict).find("'self.self' is not a tensor"), std::string::npos);
}

TEST(StateDictFile, RefusesObjectsThatAreNotTensorsOrContainers) {
  PickleWriter pickle;
  pickle.orderedDict().string("w").global("os", "system").string("true").raw("\x85").reduce().setItem().stop();
  EXPECT_NE(refusal(pickle).find("holds an object of type os.system"), std::string::npos);
  PickleWriter twice;
  twice.emptyDict().mark().string("w");
  test_support::floatTensor(twice, "0", {1});
  twice.string("w");
  test_support::floatTensor(twice, "0", {1});
  twice.setItems().stop();
  EXPECT_NE(refusal(twice, {{"0", test_support::floatStorage(1, 0)}}).find("'w' appears twice"), std::string::npos);
}

// The pickle's size is checked from the zip directory before it is inflated: a 1 MB deflated
// entry that inflates to 65 MB costs nothing.
TEST(StateDictFile, RefusesAnOversizedPickleBeforeInflatingIt) {
  const std::string path = scratchDir() + "/bomb.pt";
  test_support::writeZip(path, {{"data.pkl", std::string((65 << 20), 'N')}}, /*deflate=*/true);
  const std::string message = errorMessageOf([&] { StateDictFile::open(path); });
  EXPECT_NE(message.find("record data.pkl states 68157440 bytes, more than the 67108864"), std::string::npos)
      << message;
}

TEST(StateDictFile, RefusesWhatIsNotATorchSaveArchive) {
  const std::string dir = scratchDir();
  test_support::writeBytes(dir + "/text.pt", std::string("not a zip"));
  EXPECT_NE(errorMessageOf([&] { StateDictFile::open(dir + "/text.pt"); }).find(dir + "/text.pt: not a zip archive"),
            std::string::npos);
  test_support::writeZip(dir + "/two.pt", {{"data.pkl", "N."}});
  EXPECT_NE(errorMessageOf([&] { StateDictFile::open(dir + "/two.pt"); }).find("holds no dict"), std::string::npos);
  // A damaged record: one byte of the stored pickle changed, so its CRC no longer matches.
  std::string bytes = test_support::readText(dir + "/two.pt");
  const size_t at = bytes.find("N.");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';
  test_support::writeBytes(dir + "/crc.pt", bytes);
  EXPECT_NE(errorMessageOf([&] { StateDictFile::open(dir + "/crc.pt"); }).find("record data.pkl is damaged"),
            std::string::npos);
  const std::string whole = test_support::readText(dir + "/two.pt");
  test_support::writeBytes(dir + "/truncated.pt", whole.substr(0, whole.size() / 2));
  EXPECT_NE(errorMessageOf([&] { StateDictFile::open(dir + "/truncated.pt"); }).find("truncated.pt: not a zip archive"),
            std::string::npos);
}

}  // namespace
}  // namespace gan::interop::format
