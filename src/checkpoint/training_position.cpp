#include "checkpoint/training_position.h"

#include <cmath>

#include "common/error.h"

namespace gan::checkpoint {

void writePosition(const TrainingPosition& position, nlohmann::json& json) {
  json["step"] = position.step;
  json["world_size"] = position.world_size;
  json["global_batch"] = position.global_batch;
  json["steps_per_epoch"] = position.steps_per_epoch;
  json["epoch"] = position.steps_per_epoch > 0 ? position.step / position.steps_per_epoch : 0;
  json["position_in_epoch"] = position.steps_per_epoch > 0 ? position.step % position.steps_per_epoch : 0;
  json["seed"] = position.seed;
  json["sample_shape"] = position.sample_shape;
  json["run_id"] = position.run_id;
  if (position.data) json["data"] = position.data->toJson();
  if (!position.class_counts.empty()) json["class_counts"] = position.class_counts;
  if (position.ada) {
    const auto& ada = *position.ada;
    json["ada"] = {{"p", ada.state.p},
                   {"sign_sum", ada.state.sign_sum},
                   {"count", ada.state.count},
                   {"last_rt", ada.state.last_rt},
                   {"pending", ada.pending},
                   {"pending_sign_sum", ada.pending_sign_sum},
                   {"pending_rows", ada.pending_rows}};
  }
}

std::vector<int64_t> readClassCounts(const nlohmann::json& json, const std::string& source) {
  const auto counts = json.find("class_counts");
  if (counts == json.end()) return {};
  std::vector<int64_t> values;
  try {
    values = counts->get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception&) {
    GAN_FAIL(source, ": 'class_counts' is not a list of integers");
  }
  int64_t total = 0;
  for (int64_t n : values) {
    GAN_CHECK(n >= 0 && n <= (int64_t(1) << 40), source, ": impossible class count ", n);
    total += n;
  }
  GAN_CHECK(!values.empty() && values.size() <= 100000 && total > 0, source,
            ": 'class_counts' must list 1 to 100000 classes with at least one image");
  return values;
}

TrainingPosition readPosition(const nlohmann::json& json, const std::string& source) {
  TrainingPosition position;
  try {
    position.step = json.at("step").get<int64_t>();
    position.world_size = json.at("world_size").get<int>();
    position.global_batch = json.at("global_batch").get<int64_t>();
    position.steps_per_epoch = json.at("steps_per_epoch").get<int64_t>();
    position.seed = json.at("seed").get<int64_t>();
    position.sample_shape = json.at("sample_shape").get<std::vector<int64_t>>();
    GAN_CHECK(position.step >= 0 && position.world_size >= 1 && position.global_batch >= 1 &&
                  position.steps_per_epoch >= 0,
              source, ": impossible position (step ", position.step, ", world size ", position.world_size,
              ", global batch ", position.global_batch, ")");
    position.class_counts = readClassCounts(json, source);
    position.run_id = json.value("run_id", int64_t{0});
    GAN_CHECK(position.run_id >= 0, source, ": impossible run id ", position.run_id);
    if (const auto data = json.find("data"); data != json.end()) {
      position.data = datasets::DataFingerprint::fromJson(*data, source);
    }
    if (const auto ada = json.find("ada"); ada != json.end()) {
      AdaCheckpoint restored;
      restored.state.p = ada->at("p").get<double>();
      restored.state.sign_sum = ada->at("sign_sum").get<int64_t>();
      restored.state.count = ada->at("count").get<int64_t>();
      restored.state.last_rt = ada->at("last_rt").get<double>();
      restored.pending = ada->at("pending").get<bool>();
      restored.pending_sign_sum = ada->at("pending_sign_sum").get<int64_t>();
      restored.pending_rows = ada->at("pending_rows").get<int64_t>();
      // |sum| <= count written as two comparisons: std::abs(INT64_MIN) is undefined.
      auto within = [](int64_t sum, int64_t count) { return count >= 0 && sum >= -count && sum <= count; };
      GAN_CHECK(restored.state.p >= 0 && restored.state.p <= 1 && within(restored.state.sign_sum, restored.state.count) &&
                    within(restored.pending_sign_sum, restored.pending_rows) && std::abs(restored.state.last_rt) <= 1,
                source, ": impossible augmentation state (p ", restored.state.p, ", ", restored.state.sign_sum,
                " signs over ", restored.state.count, " images)");
      position.ada = restored;
    }
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(source, ": malformed (", e.what(), ")");
  }
  return position;
}

}  // namespace gan::checkpoint
