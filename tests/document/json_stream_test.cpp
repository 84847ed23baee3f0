// A JSON document written piece by piece: valid JSON whatever is nested, one line per item where
// asked, and the same text write_json gives for each member and item.
#include "operator/document/json_stream.h"

#include <gtest/gtest.h>

#include <sstream>

namespace bulwark::document {
namespace {

TEST(JsonStream, WritesNestedObjectsAndArraysInOrder) {
  std::ostringstream out;
  JsonStream json(out);
  json.begin_object();
  json.member("version", Value::string("2.1.0"));
  json.begin_array("runs");
  json.begin_object();
  json.begin_array("results", JsonStream::kLines);
  json.item(Value::integer(1));
  Value two = Value::object();
  two.set("a", Value::string("x\"y"));
  json.item(two);
  json.end();
  json.member("tool", Value::object());
  json.end();
  json.end();
  json.begin_array("empty", JsonStream::kLines);
  json.end();
  json.end();
  EXPECT_EQ(out.str(),
            "{\"version\":\"2.1.0\",\"runs\":[{\"results\":[\n1,\n{\"a\":\"x\\\"y\"}\n],"
            "\"tool\":{}}],\"empty\":[]}\n");
}

TEST(JsonStream, AnArrayCanBeTheDocument) {
  std::ostringstream out;
  JsonStream json(out);
  json.begin_array();
  json.item(Value::string("a"));
  json.begin_object();
  json.end();
  json.end();
  EXPECT_EQ(out.str(), "[\"a\",{}]\n");
}

}  // namespace
}  // namespace bulwark::document
