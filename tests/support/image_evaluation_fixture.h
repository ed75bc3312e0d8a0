// An image evaluation set-up without the real data set: CIFAR-format files (120 training and 110
// test records) and an untrained feature classifier in `dir`, and the Config that evaluates
// against them. The classifier's weights are seeded, so every rank writes the same bytes.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/config.h"
#include "eval/feature_classifier.h"
#include "support/synthetic_data.h"

namespace gan::test_support {

inline Config cifarEvaluationConfig(const std::string& dir, int64_t samples) {
  writeBytes(dir + "/data_batch_1.bin", cifarRecords(120, 0));
  writeBytes(dir + "/test_batch.bin", cifarRecords(110, 5000));
  torch::manual_seed(3);
  eval::FeatureClassifier classifier(std::vector<int64_t>{3, 32, 32}, 10);
  eval::saveClassifier(classifier, dir + "/classifier.pt");
  Config config;
  config.data.name = DataSetName::Cifar10;
  config.data.path = dir;
  config.eval.every = 1;
  config.eval.samples = samples;
  config.eval.classifier = dir + "/classifier.pt";
  return config;
}

}  // namespace gan::test_support
