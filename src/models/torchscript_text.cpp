#include "models/torchscript_text.h"

#include <cmath>

#include "common/error.h"
#include "models/batch_norm.h"

namespace gan::models {

std::string batchNorm(const std::string& child) {
  std::ostringstream line;
  line.precision(17);
  line << "    h = torch.batch_norm(h, self." << child << ".weight, self." << child << ".bias, None, None, True, 0.0, "
       << kBatchNormEpsilon << ", False)\n";
  return line.str();
}

std::string shapeList(const std::vector<int64_t>& sample_shape) {
  std::string list;
  for (int64_t d : sample_shape) list += ", " + std::to_string(d);
  return list;
}

std::string batchNormIfPresent(const TorchScriptCopy& copy, int64_t i) {
  const std::string child = "bn" + std::to_string(i);
  return copy.has(child) ? batchNorm(child) : "";
}

namespace {
// How many classes a conditional network's embedding `child` has (0: unconditional), kept as the
// module's `classes` attribute so Python can ask the TorchScript file.
int64_t registerClasses(TorchScriptCopy& copy, const std::string& child) {
  const int64_t classes = copy.has(child) ? copy.parameter(child, "weight").size(0) : 0;
  copy.setAttribute("classes", classes);
  return classes;
}
}  // namespace

bool beginDiscriminatorForward(TorchScriptCopy& copy, std::ostringstream& source) {
  const bool conditional = registerClasses(copy, "class_projection") > 0;
  source << (conditional ? "def forward(self, x, labels):\n" : "def forward(self, x):\n");
  return conditional;
}

bool beginGeneratorForward(TorchScriptCopy& copy, std::ostringstream& source, int64_t latent_dim) {
  copy.setAttribute("latent_dim", latent_dim);  // G.latent_dim in Python: the size of z
  const bool conditional = registerClasses(copy, "class_embedding") > 0;
  if (!conditional) {
    source << "def forward(self, z):\n    x = z\n";
    return false;
  }
  source << "def forward(self, z, labels):\n"
         << "    e = torch.embedding(self.class_embedding.weight, labels)\n"
         << "    x = torch.cat([z, e * torch.rsqrt(e.square().mean([1], True) + 1e-8)], 1)\n";
  return true;
}

std::string discriminatorOutput(TorchScriptCopy& copy, const std::string& head, bool conditional) {
  if (!conditional) return "    return " + head + "\n";
  std::ostringstream line;
  line.precision(17);
  const int64_t features = copy.parameter("class_projection", "weight").size(1);
  line << "    return " << head << " + (torch.embedding(self.class_projection.weight, labels) * f).sum([1], True) * "
       << 1.0 / std::sqrt(double(features)) << "\n";
  return line.str();
}

}  // namespace gan::models
