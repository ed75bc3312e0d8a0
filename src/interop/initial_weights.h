// --model.init_from: a fresh run starts from weights made in Python. The file is what
// torch.save(G.state_dict()) or torch.save(D.state_dict()) writes (which network is told by its
// names and shapes), or torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()})
// for both; the module definitions with gan_dist's names are in docs/pytorch.md.
#pragma once

#include <string>

#include "train/gan_trainer.h"

namespace gan::interop {

// Loads the file's weights into `trainer` (this rank only; the caller broadcasts). Every name must
// match and every shape agree: one error names the file and the first key that does not. Returns
// what was loaded, for the log ("G", "D" or "G and D"). The EMA of G restarts from the new G.
std::string loadInitialWeights(const std::string& path, train::GanTrainer& trainer);

}  // namespace gan::interop
