// The steps of a run's start that need none of the loop's state: the training set opened and
// agreed on by every rank, the per-rank batch of a resumed run, the start-up lines describing
// the trainer, and the progress picture drawn from fixed noise.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/resume.h"
#include "comm/communicator.h"
#include "common/config.h"
#include "datasets/data_fingerprint.h"
#include "datasets/dataset.h"
#include "render/sample_grid.h"
#include "resilience/fault_injection.h"
#include "train/gan_trainer.h"

namespace gan::run {

// Opens this rank's training set, then waits until every rank has (before the watchdog starts:
// a node packing a large image folder on first use is not a hang).
std::unique_ptr<datasets::Dataset> openDatasetOnEveryRank(const Config& config, comm::Communicator& communicator,
                                                      const resilience::FaultPlan& faults);
// This rank's fingerprint of the data, checked against rank 0's: one that differs ends the job
// naming itself. A collective.
datasets::DataFingerprint agreeOnData(const datasets::Dataset& dataset, comm::Communicator& communicator);
// "6000 images each" when the classes are balanced, else the smallest and largest class.
std::string describeClassCounts(const std::vector<int64_t>& counts);
// Per-rank batch that keeps a resumed run on the checkpoint's global batch.
int64_t perRankBatch(const Config& config, const checkpoint::ResumePoint& resume, int world);
// A resumed run's data must be what the checkpoint was trained on (its fingerprint); a change is
// refused on every rank, or with --data.allow_changed a warning.
void checkResumedData(const Config& config, const checkpoint::ResumePoint& resume, const datasets::DataFingerprint& now);
// Rank 0's start-up lines about the trainer: sizes, buckets, precision, gradient reductions,
// the overlap of the next step.
void describeTrainer(train::GanTrainer& trainer, const Config& config);
// The progress picture from fixed noise: an 8x8 grid for images (a conditional model: a row per
// class), a scatter plot over the true modes for 2-D points.
render::Image8 progressPicture(train::GanTrainer& trainer, const datasets::Dataset& dataset, const torch::Tensor& noise);

}  // namespace gan::run
