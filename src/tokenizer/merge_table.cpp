#include "tokenizer/merge_table.hpp"

#include <string>

#include "weft/error.hpp"

namespace weft::tokenizer {

IdPairMap<RankedMerge> build_merge_table(const Vocab& vocab) {
  IdPairMap<RankedMerge> merges;
  merges.reserve(vocab.merges.size());
  std::string joined;  // reused: one allocation for all the merges, not one each
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    std::string_view line = vocab.merges[rank];
    size_t space = line.size() > 1 ? line.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos || space + 1 >= line.size()) {
      throw Error("tokenizer metadata: tokenizer.ggml.merges[" + std::to_string(rank) + "] = '" +
                  std::string(line) + "' is not two pieces separated by a space");
    }
    auto left = vocab.find(line.substr(0, space));
    auto right = vocab.find(line.substr(space + 1));
    if (!left || !right) continue;
    joined.assign(line.substr(0, space)).append(line.substr(space + 1));
    auto result = vocab.find(joined);
    if (!result) continue;
    merges.insert_if_absent(*left, *right, RankedMerge{static_cast<int32_t>(rank), *result});
  }
  return merges;
}

}  // namespace weft::tokenizer
