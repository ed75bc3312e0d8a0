#include "eval/feature_classifier.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "common/error.h"
#include "data/sample_order.h"

namespace gan::eval {

FeatureClassifierImpl::FeatureClassifierImpl(std::vector<int64_t> sample_shape, int64_t classes)
    : sample_shape_(std::move(sample_shape)), classes_(classes) {
  GAN_CHECK(sample_shape_.size() == 3 && sample_shape_[1] % 4 == 0 && sample_shape_[2] % 4 == 0,
            "the feature classifier needs images whose sides are multiples of 4");
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(sample_shape_[0], 32, 3).padding(1)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)));
  fc1_ = register_module("fc1", torch::nn::Linear(64 * (sample_shape_[1] / 4) * (sample_shape_[2] / 4), kFeatureDim));
  fc2_ = register_module("fc2", torch::nn::Linear(kFeatureDim, classes));
}

torch::Tensor FeatureClassifierImpl::features(const torch::Tensor& x) {
  auto h = x.view({x.size(0), sample_shape_[0], sample_shape_[1], sample_shape_[2]});
  h = torch::max_pool2d(torch::relu(conv1_->forward(h)), 2);
  h = torch::max_pool2d(torch::relu(conv2_->forward(h)), 2);
  return torch::relu(fc1_->forward(h.flatten(1)));
}

FeatureClassifier trainClassifier(const datasets::Dataset& train_set, const ClassifierTraining& settings,
                                  const std::function<void(const std::string&)>& progress) {
  GAN_CHECK(train_set.hasLabels(), "training the classifier needs labelled images");
  std::vector<int64_t> every_row(static_cast<size_t>(train_set.size()));
  std::iota(every_row.begin(), every_row.end(), int64_t{0});
  const int64_t classes = train_set.labelsOf(every_row).max().item<int64_t>() + 1;
  torch::manual_seed(settings.seed);
  FeatureClassifier classifier(train_set.sampleShape(), classes);
  torch::optim::Adam optimizer(classifier->parameters(), torch::optim::AdamOptions(settings.learning_rate));
  // A data set smaller than a batch (a test's handful of images) trains on whole-set batches.
  const int64_t batch_size = std::min(settings.batch_size, train_set.size());
  data::GlobalSampleOrder order(train_set.size(), batch_size, settings.seed);
  const torch::Device cpu(torch::kCPU);
  for (int64_t epoch = 0; epoch < settings.epochs; ++epoch) {
    // A decaying step size settles the weights: a few tenths of a point of test accuracy.
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamOptions&>(group.options())
          .lr(settings.learning_rate * std::pow(settings.decay_per_epoch, double(epoch)));
    }
    double loss_sum = 0;
    for (int64_t i = 0; i < order.stepsPerEpoch(); ++i) {
      const int64_t step = epoch * order.stepsPerEpoch() + i;
      const auto indices = order.indicesForStep(step, {0, batch_size});
      auto images = train_set.batch(indices, cpu);
      auto labels = train_set.labelsOf(indices);
      optimizer.zero_grad();
      auto loss = torch::cross_entropy_loss(classifier->forward(images), labels);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
    }
    if (progress) {
      progress("classifier epoch " + std::to_string(epoch + 1) + "/" + std::to_string(settings.epochs) +
               ": mean loss " + std::to_string(loss_sum / double(order.stepsPerEpoch())));
    }
  }
  classifier->eval();
  return classifier;
}

double classifierAccuracy(FeatureClassifier& classifier, const datasets::Dataset& test_set) {
  GAN_CHECK(test_set.hasLabels(), "accuracy needs labelled images");
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  constexpr int64_t kChunk = 1000;
  for (int64_t first = 0; first < test_set.size(); first += kChunk) {
    std::vector<int64_t> indices;
    for (int64_t i = first; i < std::min(first + kChunk, test_set.size()); ++i) indices.push_back(i);
    auto predicted = classifier->forward(test_set.batch(indices, torch::kCPU)).argmax(1);
    correct += predicted.eq(test_set.labelsOf(indices)).sum().item<int64_t>();
  }
  return double(correct) / double(test_set.size());
}

void saveClassifier(FeatureClassifier& classifier, const std::string& path) {
  torch::serialize::OutputArchive archive;
  classifier->save(archive);
  archive.write("sample_shape", torch::tensor(classifier->sampleShape(), torch::kInt64));
  archive.write("classes", torch::tensor(classifier->classes(), torch::kInt64));
  const std::string temporary = path + ".tmp";
  archive.save_to(temporary);
  std::filesystem::rename(temporary, path);  // never a half-written classifier under `path`
}

FeatureClassifier loadClassifier(const std::string& path) {
  GAN_CHECK(std::filesystem::exists(path), "--eval.classifier '", path,
            "': no such file (train one with `gan_eval train-classifier --out ", path, "`)");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor shape, classes;
    GAN_CHECK(archive.try_read("sample_shape", shape) && archive.try_read("classes", classes), path,
              ": not a gan_eval classifier (no sample_shape/classes)");
    const auto* s = shape.data_ptr<int64_t>();
    FeatureClassifier classifier(std::vector<int64_t>(s, s + shape.numel()), classes.item<int64_t>());
    classifier->load(archive);
    classifier->eval();
    return classifier;
  } catch (const c10::Error& e) {
    GAN_FAIL(path, ": cannot read the classifier (", e.what_without_backtrace(), ")");
  }
}

}  // namespace gan::eval
