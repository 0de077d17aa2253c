// The architectures weft runs: one row each. Adding an architecture is one row here plus its
// file src/model/arch/<name>.cpp, which defines `const ArchitectureSpec <name>` in namespace
// weft::model::arch (docs/architecture.md, "Add an architecture"). The order is the order of
// the supported list in messages, `weft mkmodel --help` and docs.
#pragma once

// X(identifier): the enum value weft::model::Architecture::identifier and the spec
// weft::model::arch::identifier. The GGUF name (general.architecture) is in the spec.
#define WEFT_MODEL_ARCHITECTURES(X) \
  X(llama)                          \
  X(qwen2)                          \
  X(qwen3)                          \
  X(phi3)                           \
  X(gemma2)                         \
  X(gemma3)                         \
  X(qwen3moe)                       \
  X(gpt_oss)                        \
  X(bert)                           \
  X(nomic_bert)
