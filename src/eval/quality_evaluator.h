// QualityEvaluator: the numbers that say how well a generator has learnt its data set, computed
// by all ranks together. Each rank generates and measures its share of the samples; the per-row
// results are assembled on every rank by an exact reduction and the quadratic measures are
// shared out again, so the result does not depend on the world size and no rank generates all
// samples.
//
//   2-D mixtures: eval_modes (modes covered), eval_high_quality (fraction within 3 sigma of a mode)
//   images, in the classifier's features, against the test split:
//     eval_fd               Fréchet distance
//     eval_classifier_score exp E KL(p(y|x) || p(y))
//     eval_kid, _std        kernel distance (unbiased MMD^2, cubic kernel), mean and spread over
//                           100 subsets of 1,000
//     eval_precision        share of generated samples inside the test set's k-NN manifold (k = 3)
//     eval_recall           share of test images inside the generated samples' manifold
//   conditional models (generated rows drawn for classes by the training set's frequencies):
//     eval_fd_class<k>      Fréchet distance of the rows generated for class k to the test
//                           images of class k (the first kPerClassLimit classes)
//     eval_class_accuracy   share of generated rows the classifier puts in the class they were
//                           generated for, averaged over classes; eval_class_accuracy<k> per class
//                           (when the classifier was trained on this data set's classes)
//     eval_class_recall     share of class k's test images inside the manifold of the rows
//                           generated for k, averaged over classes; eval_class_recall<k> per class
//   --data.limit or --data.holdout: eval_fd_train and eval_kid_train, the distances to the images
//     trained on, beside eval_fd's and eval_kid's to images never trained on: memorisation shows
//     as eval_kid_train < eval_kid (the Fréchet distance to a small set is biased upwards)
//   references: the same between training and test images (eval_fd_real_floor, eval_kid_real,
//   eval_precision_real, ...: what a perfect generator would score with this many samples) and,
//   on request, for uniform noise (..._noise)
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "comm/communicator.h"
#include "common/config.h"
#include "models/gan_networks.h"

namespace gan::eval {

using Measurements = std::vector<std::pair<std::string, double>>;

class QualityEvaluator {
 public:
  virtual ~QualityEvaluator() = default;
  // Every rank calls this together and receives the same values. `generator` is sampled
  // outside training mode on a fixed noise stream of `seed`.
  virtual Measurements evaluate(models::Generator& generator, int64_t latent_dim, uint64_t seed) = 0;
  // Values that do not depend on the generator (the real-vs-real floor, the noise reference).
  virtual Measurements references() const = 0;
  virtual int64_t sampleCount() const = 0;
};

struct EvaluatorOptions {
  bool noise_reference = false;  // images: also measure uniform noise (eval_fd_noise, eval_kid_noise, ...)
};

// Classes measured one by one (eval_fd_class<k>, eval_class_accuracy<k>): the first ones.
inline constexpr int64_t kPerClassLimit = 20;

// The evaluator for `config`'s data set (--eval.samples, --eval.classifier). Collective: every
// rank constructs it together (image references are measured across ranks). `class_counts`:
// a conditional generator's training-set class sizes (empty: unconditional).
std::unique_ptr<QualityEvaluator> createEvaluator(const Config& config, comm::Communicator& communicator,
                                                  const torch::Device& device, EvaluatorOptions options = {},
                                                  std::vector<int64_t> class_counts = {});

// Default generated samples per evaluation: 2,500 for 2-D data, 10,000 for images.
int64_t defaultEvaluationSamples(const DataConfig& data);

}  // namespace gan::eval
