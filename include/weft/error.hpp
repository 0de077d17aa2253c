// The one exception type of the public API: a code plus a message meant for people.
#pragma once

#include <stdexcept>
#include <string>

#include "weft/error_code.hpp"
#include "weft/export.hpp"

namespace weft {

class WEFT_EXPORT Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  explicit Error(const std::string& message) : Error(ErrorCode::invalid_request, message) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace weft
