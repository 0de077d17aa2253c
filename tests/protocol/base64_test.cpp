// Base64 against RFC 4648's test vectors (section 10) and the strings it is not.
#include "protocol/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weft::protocol {
namespace {

struct Base64Vector {
  const char* bytes;
  const char* text;
};

// RFC 4648, section 10.
constexpr Base64Vector kRfc4648[] = {{"", ""},
                                     {"f", "Zg=="},
                                     {"fo", "Zm8="},
                                     {"foo", "Zm9v"},
                                     {"foob", "Zm9vYg=="},
                                     {"fooba", "Zm9vYmE="},
                                     {"foobar", "Zm9vYmFy"}};

TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
  for (const auto& vector : kRfc4648) {
    EXPECT_EQ(base64_encode(vector.bytes), vector.text) << vector.bytes;
    const auto decoded = base64_decode(vector.text);
    ASSERT_TRUE(decoded.has_value()) << vector.text;
    EXPECT_EQ(*decoded, vector.bytes) << vector.text;
  }
}

TEST(Base64, DecodesEveryByteValue) {
  std::string every;
  for (int i = 0; i < 256; ++i) every += static_cast<char>(i);
  // The end of the encoding as Python's base64.b64encode(bytes(range(256))) writes it:
  // 0xfc 0xfd 0xfe is "/P3+", the lone 0xff "/w==".
  const std::string text = base64_encode(every);
  ASSERT_EQ(text.size(), 344u);
  EXPECT_EQ(text.substr(text.size() - 8), "/P3+/w==");
  EXPECT_EQ(base64_decode(text), every);
}

TEST(Base64, RefusesWhatIsNotCanonicalPaddedBase64) {
  for (const char* text : {"Zg", "Zg=", "Zm9", "Z===", "Zg==Zg==", "Zh==", "Zm9=", "Zm 9v",
                           "Zm9v\n", "Zm-v", "=Zm9", "Zg=a"}) {
    EXPECT_FALSE(base64_decode(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace weft::protocol
