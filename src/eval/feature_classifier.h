// The small CNN whose penultimate layer is the feature space of the Fréchet distance and whose
// softmax gives the classifier score. Trained by the project on the data set's training split
// (`gan_eval train-classifier`), deterministically, so every user computes the same numbers.
//
//   conv 3x3 (32) ReLU maxpool 2 -> conv 3x3 (64) ReLU maxpool 2 -> fc 128 ReLU [features] -> fc classes
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace gan::eval {

constexpr int64_t kFeatureDim = 128;

class FeatureClassifierImpl : public torch::nn::Module {
 public:
  // sample_shape {C, H, W} with H and W divisible by 4.
  FeatureClassifierImpl(std::vector<int64_t> sample_shape, int64_t classes);

  // x: (n, C*H*W) in [-1, 1]. Penultimate activations (n, kFeatureDim).
  torch::Tensor features(const torch::Tensor& x);
  torch::Tensor logitsFromFeatures(const torch::Tensor& features) { return fc2_->forward(features); }
  torch::Tensor forward(const torch::Tensor& x) { return logitsFromFeatures(features(x)); }

  const std::vector<int64_t>& sampleShape() const { return sample_shape_; }
  int64_t classes() const { return classes_; }

 private:
  std::vector<int64_t> sample_shape_;
  int64_t classes_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(FeatureClassifier);

struct ClassifierTraining {
  int64_t epochs = 8;
  int64_t batch_size = 128;
  double learning_rate = 1e-3;
  double decay_per_epoch = 0.75;  // the learning rate of epoch e is learning_rate * decay^e
  uint64_t seed = 7;
};

// Trains on `train_set` (needs labels); logs one line per epoch through `progress` (may be empty).
FeatureClassifier trainClassifier(const datasets::Dataset& train_set, const ClassifierTraining& settings,
                                  const std::function<void(const std::string&)>& progress = {});

// Fraction of `test_set` classified correctly.
double classifierAccuracy(FeatureClassifier& classifier, const datasets::Dataset& test_set);

// Saves weights plus the shape and class count; load checks what it reads and names the file.
void saveClassifier(FeatureClassifier& classifier, const std::string& path);
FeatureClassifier loadClassifier(const std::string& path);

}  // namespace gan::eval
