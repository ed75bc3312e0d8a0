// GAN losses on discriminator logits (the sigmoid is folded into a numerically stable softplus).
#pragma once

#include <torch/torch.h>

#include <string>

#include "common/option_values.h"

namespace gan::train {

using gan::GanLoss;  // --train.loss

// The discriminator's loss. Minimax and nonsaturating share it: D maximises
// E[log D(x)] + E[log(1 - D(G(z)))], so this returns the negation, a mean BCE
// (log D = -softplus(-logit), log(1 - D) = -softplus(logit)). Hinge and WGAN have their own.
torch::Tensor discriminatorLoss(GanLoss loss, const torch::Tensor& real_logits, const torch::Tensor& fake_logits);
// Its two terms, one per half of D's batch: discriminatorLoss = real term + generated term,
// bit for bit. A D update whose halves run as separate backward passes uses these.
torch::Tensor discriminatorRealTerm(GanLoss loss, const torch::Tensor& real_logits);
torch::Tensor discriminatorFakeTerm(GanLoss loss, const torch::Tensor& fake_logits);

// The generator's loss on D's logits for generated samples.
torch::Tensor generatorLoss(GanLoss loss, const torch::Tensor& fake_logits);

}  // namespace gan::train
