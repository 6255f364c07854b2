#include "aha/rl/ref_model_sync.hpp"

#include "aha/base/error.hpp"
#include "aha/model/gradients.hpp"

namespace aha::rl {

void mix_reference(model::Weights& reference, model::Weights& policy, double alpha) {
  if (model::holds_bf16(reference) || model::holds_bf16(policy))
    fail_internal("mix_reference: the weights are held in bf16");
  const std::vector<model::Parameter> to = model::parameters(reference), from = model::parameters(policy);
  if (to.size() != from.size()) fail_internal("mix_reference: the models differ");
  // As torch's ref.mul_(1 − α).add_(policy, alpha=α) in float32.
  const auto keep = static_cast<float>(1.0 - alpha), take = static_cast<float>(alpha);
  for (size_t t = 0; t < to.size(); ++t) {
    std::vector<float>& r = *to[t].values;
    const std::vector<float>& p = *from[t].values;
    if (r.size() != p.size()) fail_internal("mix_reference: the models differ in " + to[t].name);
    for (size_t i = 0; i < r.size(); ++i) r[i] = r[i] * keep + take * p[i];
  }
}

}  // namespace aha::rl
