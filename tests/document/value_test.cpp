// Value's builders and the JSON they write: what objects, patches and status bodies are made of.
#include "operator/document/value.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

namespace bulwark::document {
namespace {

TEST(ValueBuilders, WriteTheJsonTheySay) {
  Value v = Value::object();
  v.set("s", Value::string("true")).set("n", Value::integer(-7)).set("b", Value::boolean(true));
  v.set("z", Value::null()).set("list", Value::array({"a", "b"}));
  v.child("nested").child("deeper").set("k", Value::string("v"));
  EXPECT_EQ(
      to_json(v),
      R"({"s":"true","n":-7,"b":true,"z":null,"list":["a","b"],"nested":{"deeper":{"k":"v"}}})");
}

TEST(ValueBuilders, SetReplacesAMemberOfTheSameName) {
  Value v = Value::object();
  v.set("a", Value::integer(1)).set("b", Value::integer(2)).set("a", Value::integer(3));
  EXPECT_EQ(to_json(v), R"({"a":3,"b":2})");
  v.child("b").set("c", Value::integer(4));  // a scalar member becomes a mapping, as in JSON
  EXPECT_EQ(to_json(v), R"({"a":3,"b":{"c":4}})");
}

// Strings are escaped whatever they hold: a name with quotes cannot change the document's shape.
TEST(ValueBuilders, StringsAreAlwaysEscaped) {
  Value v = Value::object();
  v.set("name", Value::string(R"(x","admin":true,"y":")"));
  v.child("metadata").set("uid", Value::string("line\nbreak\\"));
  const Value back = parse_json(to_json(v));
  EXPECT_EQ(back.find("admin"), nullptr);
  EXPECT_EQ(back.find("name")->str(), R"(x","admin":true,"y":")");
  EXPECT_EQ(back.find({"metadata", "uid"})->str(), "line\nbreak\\");
}

TEST(ValueBuilders, StringsThatLookLikeNumbersStayStrings) {
  const Value back = parse_json(to_json(Value::array({"0", "true", "null"})));
  for (const auto& item : back.items) {
    EXPECT_TRUE(item.quoted) << item.text;
    EXPECT_EQ(item.as_int(), std::nullopt);
    EXPECT_EQ(item.as_bool(), std::nullopt);
  }
}

// What Kubernetes' decoders take for a string field: YAML 1.1's plain scalars that resolve to no
// null, boolean or number, anything quoted, and JSON strings.
TEST(ValueScalars, IsStringAsTheDecodersRead) {
  std::istringstream yaml(
      "{a: http, b: 1a, c: '1', d: \"true\", e: 1, f: -1.5, g: 1e3, h: 0x1F, i: true, j: yes}\n");
  Value doc;
  ASSERT_TRUE(make_yaml_reader(yaml)->next(doc));
  for (const char* key : {"a", "b", "c", "d"}) EXPECT_TRUE(doc.find(key)->is_string()) << key;
  for (const char* key : {"e", "f", "g", "h", "i", "j"})
    EXPECT_FALSE(doc.find(key)->is_string()) << key;
  const Value json = parse_json(R"({"a":"1","b":1,"c":true,"d":[]})");
  EXPECT_TRUE(json.find("a")->is_string());
  for (const char* key : {"b", "c", "d"}) EXPECT_FALSE(json.find(key)->is_string()) << key;
  EXPECT_TRUE(Value::string("1").is_string());
  EXPECT_FALSE(Value::integer(1).is_string());
}

TEST(ValueBuilders, PushMakesASequence) {
  Value v;
  v.push(Value::integer(1)).push(Value::object().set("a", Value::boolean(false)));
  EXPECT_EQ(to_json(v), R"([1,{"a":false}])");
}

}  // namespace
}  // namespace bulwark::document
