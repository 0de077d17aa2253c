// The embeddings socket's lines (inferd docs/protocol-v2.md §7), against the spec's vectors.
#include "protocol/embed_wire.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace weft::protocol::embed {
namespace {

using nlohmann::json;

TEST(EmbedWire, DecodesARequest) {
  auto decoded = decode_request(
      R"({"id":"e","input":["a","b"],"dimensions":256,"task":"retrieval_query","extra":1})");
  ASSERT_TRUE(std::holds_alternative<Request>(decoded));
  const auto& request = std::get<Request>(decoded);
  EXPECT_EQ(request.id, "e");
  EXPECT_EQ(request.inputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(request.dimensions, 256u);
  EXPECT_EQ(request.task, "retrieval_query");
}

TEST(EmbedWire, RefusesTheSpecsInvalidRequests) {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/tests/protocol/data/inferd_v2_vectors.json");
  const json vectors = json::parse(in);
  for (const auto& body : vectors["embed_invalid_requests"]["requests"]) {
    auto decoded = decode_request(body.dump());
    ASSERT_TRUE(std::holds_alternative<Failure>(decoded)) << body.dump();
    EXPECT_EQ(std::get<Failure>(decoded).id, body["id"]);
  }
  for (const char* bad : {"", "x", "[]", R"({"input":"a"})", R"({"input":["a"],"dimensions":0})",
                          R"({"input":["a"],"dimensions":-3})", R"({"id":5,"input":["a"]})"}) {
    EXPECT_TRUE(std::holds_alternative<Failure>(decode_request(bad))) << bad;
  }
}

TEST(EmbedWire, TruncationKeepsThePrefixAtUnitLength) {
  std::vector<std::vector<float>> vectors = {{3.0f, 4.0f, 12.0f}, {1.0f}};
  truncate_to_dimensions(vectors, 2);
  EXPECT_FLOAT_EQ(vectors[0][0], 0.6f);  // (3, 4) / 5
  EXPECT_FLOAT_EQ(vectors[0][1], 0.8f);
  EXPECT_EQ(vectors[0].size(), 2u);
  EXPECT_EQ(vectors[1], std::vector<float>{1.0f});  // already narrower: unchanged
}

TEST(EmbedWire, EncodesTheSpecsShapes) {
  json ok = json::parse(encode_embeddings("e", {{0.5f, -0.5f}}, 2, "m", 3, "native"));
  EXPECT_EQ(ok, json::parse(R"({"type":"embeddings","id":"e","embeddings":[[0.5,-0.5]],
      "dimensions":2,"model":"m","usage":{"input_tokens":3},"backend":"native"})"));
  json error = json::parse(encode_error("e", "queue_full", "busy"));
  EXPECT_EQ(error,
            json::parse(R"({"type":"error","id":"e","code":"queue_full","message":"busy"})"));
}

}  // namespace
}  // namespace weft::protocol::embed
