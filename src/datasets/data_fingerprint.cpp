#include "datasets/data_fingerprint.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"

namespace gan::datasets {
namespace {

constexpr int64_t kSampledRows = 1024;

// FNV-1a, 64 bits: no library needed, and ample for telling data sets apart (not a defence
// against someone forging one).
void mix(uint64_t& hash, const void* data, size_t bytes) {
  const auto* at = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ at[i]) * 0x100000001b3ULL;
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

std::string DataFingerprint::describe() const {
  std::string shape;
  for (size_t i = 0; i < sample_shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(sample_shape[i]);
  return std::to_string(count) + " samples of [" + shape + "], " +
         (classes > 0 ? std::to_string(classes) + " classes" : std::string("no labels")) + ", hash " + hex(hash);
}

nlohmann::json DataFingerprint::toJson() const {
  return {{"count", count}, {"sample_shape", sample_shape}, {"classes", classes}, {"hash", hex(hash)}};
}

DataFingerprint DataFingerprint::fromJson(const nlohmann::json& json, const std::string& source) {
  DataFingerprint fingerprint;
  try {
    fingerprint.count = json.at("count").get<int64_t>();
    fingerprint.sample_shape = json.at("sample_shape").get<std::vector<int64_t>>();
    fingerprint.classes = json.at("classes").get<int64_t>();
    const std::string text = json.at("hash").get<std::string>();
    GAN_CHECK(text.size() == 16 && text.find_first_not_of("0123456789abcdef") == std::string::npos, source,
              ": the data fingerprint's hash is not 16 hex digits");
    fingerprint.hash = std::stoull(text, nullptr, 16);
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(source, ": malformed data fingerprint (", e.what(), ")");
  }
  GAN_CHECK(fingerprint.count >= 0 && fingerprint.classes >= 0 && fingerprint.sample_shape.size() <= 4, source,
            ": impossible data fingerprint");
  return fingerprint;
}

DataFingerprint fingerprintOf(const Dataset& dataset) {
  DataFingerprint fingerprint;
  fingerprint.count = dataset.size();
  fingerprint.sample_shape = dataset.sampleShape();
  uint64_t hash = 0xcbf29ce484222325ULL;
  mix(hash, &fingerprint.count, sizeof fingerprint.count);
  mix(hash, fingerprint.sample_shape.data(), fingerprint.sample_shape.size() * sizeof(int64_t));
  if (dataset.hasLabels() && fingerprint.count > 0) {
    const auto counts = dataset.classCounts();
    fingerprint.classes = static_cast<int64_t>(counts.size());
    const torch::Tensor labels = dataset.allLabels().to(torch::kInt64).contiguous();
    mix(hash, labels.data_ptr<int64_t>(), size_t(labels.numel()) * sizeof(int64_t));
  }
  std::vector<int64_t> rows;
  const int64_t sampled = std::min(kSampledRows, fingerprint.count);
  for (int64_t i = 0; i < sampled; ++i) rows.push_back(i * fingerprint.count / sampled);
  if (!rows.empty()) {
    const torch::Tensor values = dataset.batch(rows, torch::kCPU).to(torch::kFloat32).contiguous();
    mix(hash, values.data_ptr<float>(), size_t(values.numel()) * sizeof(float));
  }
  fingerprint.hash = hash;
  return fingerprint;
}

}  // namespace gan::datasets
