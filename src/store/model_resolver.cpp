#include "store/model_resolver.hpp"

#include <filesystem>

#include "store/model_name.hpp"
#include "store/model_store.hpp"
#include "store/pull.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

namespace fs = std::filesystem;

bool looks_like_path(const std::string& reference) {
  return reference.front() == '/' || reference.rfind("./", 0) == 0 ||
         reference.rfind("../", 0) == 0 || reference.rfind("~", 0) == 0;
}

}  // namespace

std::string resolve_model_path(const std::string& reference, const ResolveOptions& options) {
  if (reference.empty()) return reference;
  std::error_code error;
  if (fs::is_regular_file(reference, error)) return reference;
  const ModelStore store(options.store_root.empty() ? ModelStore::default_root()
                                                    : options.store_root);
  if (!looks_like_path(reference)) {
    if (auto entry = store.find(reference)) return entry->path;
  }
  const auto name = looks_like_path(reference) ? std::nullopt : parse_model_name(reference);
  if (!name) {
    throw Error(ErrorCode::invalid_request,
                "model '" + reference + "' is not a file, nor a model of the store " +
                    store.root() + ", nor a name weft can pull (see weft pull --help)");
  }
  if (!options.pull) {
    throw Error(ErrorCode::invalid_request, "model '" + reference +
                                                "' is not a file nor in the store " + store.root() +
                                                "; weft pull " + reference + " gets it");
  }
  return pull_model(store, *name, options.progress).entry.path;
}

std::string display_name_of(const std::string& path, const std::string& store_root) {
  try {
    const ModelStore store(store_root.empty() ? ModelStore::default_root() : store_root);
    if (auto name = store.name_of_blob(path)) return *name;
  } catch (const Error&) {
  }
  return fs::path(path).stem().string();
}

}  // namespace weft::store
