#include "train/losses.h"

#include "common/error.h"

namespace gan::train {

torch::Tensor discriminatorRealTerm(GanLoss loss, const torch::Tensor& real_logits) {
  if (loss == GanLoss::Hinge) return torch::relu(1 - real_logits).mean();
  if (loss == GanLoss::WganGp) return -real_logits.mean();
  return torch::softplus(-real_logits).mean();
}

torch::Tensor discriminatorFakeTerm(GanLoss loss, const torch::Tensor& fake_logits) {
  if (loss == GanLoss::Hinge) return torch::relu(1 + fake_logits).mean();
  if (loss == GanLoss::WganGp) return fake_logits.mean();
  return torch::softplus(fake_logits).mean();
}

// real + generated, in that order, for every loss (IEEE addition is commutative and negation
// exact, so WGAN's E[D(G(z))] - E[D(x)] is the same bits either way round).
torch::Tensor discriminatorLoss(GanLoss loss, const torch::Tensor& real_logits, const torch::Tensor& fake_logits) {
  return discriminatorRealTerm(loss, real_logits) + discriminatorFakeTerm(loss, fake_logits);
}

torch::Tensor generatorLoss(GanLoss loss, const torch::Tensor& fake_logits) {
  switch (loss) {
    case GanLoss::Nonsaturating: return torch::softplus(-fake_logits).mean();   // -E[log D(G(z))]
    case GanLoss::Minimax: return -torch::softplus(fake_logits).mean();         // E[log(1 - D(G(z)))]
    case GanLoss::Hinge:
    case GanLoss::WganGp: return -fake_logits.mean();
  }
  GAN_FAIL("unknown GAN loss");
}

}  // namespace gan::train
