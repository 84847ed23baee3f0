// The JSON reader against its judges: Go's encoding/json (what the API server and kubectl decode
// with) for what is JSON at all, and the cpprestsdk-based reader it replaced
// (tests/fuzz/cpprest_json_oracle.h) for what a document reads as.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "tests/fuzz/cpprest_json_oracle.h"
#include "tests/support/paths.h"

namespace bulwark::document {
namespace {

std::string error_of(std::string_view text) {
  try {
    parse_json(text);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

// Each refused by Go 1.26's encoding/json (json.Unmarshal into any), with the error it gave.
// cpprestsdk, behind the reader before this one, took the first four.
TEST(JsonReader, RefusesWhatGosDecoderRefuses) {
  for (const char* text : {
           "/*x*/ 1",     // invalid character '/' looking for beginning of value
           "1 // c",      // invalid character '/' after top-level value
           "01",          // invalid character '1' after top-level value
           "1E400",       // cannot unmarshal number 1E400 into Go value of type float64
           "-01",         // invalid character '1' after top-level value
           "-1E400",      // cannot unmarshal number -1E400 into Go value of type float64
           "[1,]",        // invalid character ']' looking for beginning of value
           "{\"a\":1,}",  // invalid character '}' looking for beginning of object key string
           "",            // unexpected end of JSON input
           "\"a\x01\"",   // invalid character '\x01' in string literal
           "tru",         // invalid character ' ' in literal true (expecting 'e')
           "-",           // invalid character ' ' in numeric literal
           "1.",          // invalid character ' ' after decimal point in numeric literal
           ".5",          // invalid character '.' looking for beginning of value
           "1e+",         // invalid character ' ' in exponent of numeric literal
           "\xef\xbb\xbf"
           "1",    // invalid character 'ï' looking for beginning of value
           "\f1",  // invalid character '\f' looking for beginning of value
           "{\"a\" 1}",
           "[1 2]",
           "\"\\x\"",
           "NaN",
           "+1",
           "0x10",
           "[]]",
           "{\"a\":1}}",
       }) {
    EXPECT_NE(error_of(text), "") << text;
  }
}

// What Go takes, read the same way (numbers in their one text).
TEST(JsonReader, ReadsWhatGosDecoderReads) {
  EXPECT_EQ(to_json(parse_json(" 1 ")), "1");
  EXPECT_EQ(to_json(parse_json("1.5e-400")), "0");  // underflow is zero, for Go too
  EXPECT_EQ(to_json(parse_json(R"("\/\b\f\n\r\t\u0000\u00e9")")),
            to_json(Value::string(std::string("/\b\f\n\r\t\0\xc3\xa9", 9))));
  EXPECT_EQ(to_json(parse_json(R"({"a":[],"b":{},"c":[{}],"d":null})")),
            R"({"a":[],"b":{},"c":[{}],"d":null})");
  EXPECT_EQ(to_json(parse_json("[1e2,-9223372036854775808,18446744073709551616,0.1]")),
            "[100,-9223372036854775808,18446744073709551616,0.1]");
}

// Where Bulwark is stricter than Go on purpose: Go substitutes U+FFFD for a lone surrogate and
// keeps the last of two members of one name; either would make Bulwark judge other text than
// the API server stores, or another member than it keeps.
TEST(JsonReader, LoneSurrogatesAndDuplicatesAreRefusedNamingThePath) {
  EXPECT_EQ(error_of(R"({"a":["x\ud800"]})"),
            "a[0]: not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)");
  EXPECT_EQ(error_of(R"({"a":"\udc00x"})"),
            "a: not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)");
  EXPECT_EQ(error_of(R"({"a":"\ud800\u0041"})"),
            "a: not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)");
  // A member name that is not UTF-8 is named by the object holding it, not as an empty step.
  EXPECT_EQ(error_of(R"({"a":{"\udc00":1}})"),
            "a: not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)");
  EXPECT_EQ(error_of(R"({"\udc00":1})"),
            "not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)");
  // More members than the small-object scan covers: the hash set finds it.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":1,";
  EXPECT_EQ(error_of(many + "\"k7\":2}"), "k7: duplicate member name");
}

// A hostile number costs time in proportion to its length (strtod included): 8 million digits
// read in milliseconds here (2 s under ASan on two cores kept busy by a 50,000-pod cluster),
// refused or read as Go would. The bound is loose on purpose: a reader quadratic in the digits
// would take hours on these, so 30 s separates the two on any machine without flaking on a slow
// one.
TEST(JsonReader, HostileNumbersTakeLinearTime) {
  const std::string digits(8u << 20, '7');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(error_of("1" + digits), "");                                         // beyond float64
  EXPECT_EQ(to_json(parse_json("0." + std::string(8u << 20, '0') + "1")), "0");  // underflow
  EXPECT_NE(error_of("[" + digits + "." + digits + "]"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(JsonReader, SyntaxErrorsSayLineAndColumn) {
  try {
    parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}");
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 8);
    EXPECT_EQ(std::string(e.what()), "invalid JSON: an unknown word at line 3, column 8");
  }
}

// Every seed of the JSON fuzzers, and a pod as the API server sends it, reads as it did through
// cpprestsdk; nothing refused there is accepted here. Members compare in name order: cpprestsdk
// sorted them, this reader keeps the document's order (as the YAML reader does).
TEST(JsonReader, ReadsWhatTheReaderBeforeItRead) {
  std::vector<std::string> texts = {
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"b"},)"
      R"("annotations":{"x":"caf\u00e9 \ud83d\udd12"}},"spec":{"containers":[{"name":"c",)"
      R"("image":"i","securityContext":{"runAsUser":0,"privileged":true}}],)"
      R"("terminationGracePeriodSeconds":30,"x":[-0,1.25,1e-7,123456789012]}})"};
  for (const char* dir : {"json_reader", "admission_review"}) {
    const auto corpus = std::filesystem::path(test::source_dir()) / "tests/fuzz/corpus" / dir;
    for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
      std::ifstream in(entry.path(), std::ios::binary);
      texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  int read = 0;
  for (const auto& text : texts) {
    Value ours;
    try {
      ours = parse_json(text);
    } catch (const ParseError&) {
      continue;
    }
    ++read;
    EXPECT_EQ(to_json(fuzz::sorted(ours)),
              to_json(fuzz::sorted(fuzz::cpprest_parse_json(text, {}))))
        << text;
  }
  EXPECT_GE(read, 3);
}

}  // namespace
}  // namespace bulwark::document

namespace bulwark::document {
namespace {

std::string array_of(int n, const std::string& item) {
  std::string out = "{\"a\":[";
  for (int i = 0; i < n; ++i) out += (i > 0 ? "," : "") + item;
  return out + "]}";
}

// What the tree allocates is counted as it is allocated: a dense document (2 bytes a node, 88
// bytes a Value) stops at the limit instead of taking 46 times its size.
TEST(JsonReader, WhatTheTreeAllocatesIsBoundedByMaxExpandedBytes) {
  ReadLimits limits;
  limits.max_expanded_bytes = 8u << 20;
  const std::string zeros = array_of(1'000'000, "0");
  try {
    parse_json(zeros, limits);
    FAIL() << "a 2 MB array of zeros was read within 8 MiB";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("takes more than 8 MiB parsed"), std::string::npos)
        << e.what();
  }
  // Long strings count their bytes too.
  EXPECT_THROW(parse_json(array_of(1000, "\"" + std::string(10'000, 'x') + "\""), limits),
               ParseError);
  // The same count of nodes fits a limit that covers their capacity.
  limits.max_expanded_bytes = 2 * 88 * 1'000'000 + (1u << 20);
  EXPECT_EQ(parse_json(zeros, limits).find("a")->items.size(), 1'000'000u);
}

// A Kubernetes object, managedFields and all, takes about 9 times its JSON: within 12.
TEST(JsonReader, RealObjectsFitTwelveTimesTheirSize) {
  const std::string deployment =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop",)"
      R"("labels":{"app":"web"},"managedFields":[{"manager":"kubectl","operation":"Update",)"
      R"("apiVersion":"apps/v1","fieldsV1":{"f:spec":{"f:replicas":{},"f:template":{"f:spec":)"
      R"({"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:name":{}}}}}}}}]},)"
      R"("spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":)"
      R"({"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":)"
      R"("registry.example.com/app:1.0","securityContext":{"privileged":true}}]}}}})";
  const std::string many = array_of(3000, deployment);
  ReadLimits limits;
  limits.max_expanded_bytes = 12 * many.size();
  EXPECT_NO_THROW(parse_json(many, limits));
}

}  // namespace
}  // namespace bulwark::document
