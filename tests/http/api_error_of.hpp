// The ApiError a call throws, for the HTTP mapping tests.
#pragma once

#include <gtest/gtest.h>

#include "http/api_error.hpp"

namespace weft::http {

// Fails the test when the call throws no ApiException.
template <typename Call>
ApiError error_of(Call call) {
  try {
    call();
  } catch (const ApiException& error) {
    return error.error();
  }
  ADD_FAILURE() << "no ApiException";
  return {};
}

}  // namespace weft::http
