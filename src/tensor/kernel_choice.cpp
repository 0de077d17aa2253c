#include "tensor/fast_kernels.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"
#include "tensor/reference/reference_kernels.hpp"

namespace weft::tensor {

const Kernels& reference_kernels() {
  static const ReferenceKernels instance;
  return instance;
}

const Kernels& kernels_for(KernelChoice choice) {
  static const RoundedActivationKernels rounded(ggml_cpu::kAvx2Lanes);
  static const FastKernels fast;
  switch (choice) {
    case KernelChoice::rounded_activations:
      return rounded;
    case KernelChoice::fast:
      return fast;
    case KernelChoice::reference:
      break;
  }
  return reference_kernels();
}

std::string_view to_string(KernelChoice choice) {
  switch (choice) {
    case KernelChoice::reference:
      return "reference";
    case KernelChoice::fast:
      return "fast";
    case KernelChoice::rounded_activations:
      return "rounded-activations";
  }
  return "?";
}

std::optional<KernelChoice> parse_kernel_choice(std::string_view name) {
  for (auto choice :
       {KernelChoice::reference, KernelChoice::fast, KernelChoice::rounded_activations}) {
    if (name == to_string(choice)) return choice;
  }
  return std::nullopt;
}

}  // namespace weft::tensor
