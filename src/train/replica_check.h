// Replica consistency check: all ranks must hold bitwise-identical replicated state (every
// tensor of NetworkState::replicatedTensors: parameters, Adam's moments and step count, the EMA
// of G). Each rank hashes every tensor; MIN and MAX of the hashes across ranks differ exactly
// when some rank disagrees.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "train/gan_trainer.h"

namespace gan::train {

// 64-bit FNV-1a of a tensor's bytes (copied to the host when needed).
uint64_t tensorFingerprint(const torch::Tensor& tensor);

// Throws gan::Error naming the first tensor (e.g. "G.fc3.weight", "D.adam.exp_avg", "G.ema.fc1.weight") whose
// fingerprint differs between ranks. A collective: every rank must call it at the same step.
void verifyReplicasAgree(GanTrainer& trainer, comm::Communicator& communicator, int64_t step);

}  // namespace gan::train
