// The YAML and JSON readers: streaming, scalars, duplicate keys, merge keys, limits, errors.
#include "document/reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace bulwark::document {
namespace {

std::vector<Value> read_all_yaml(const std::string& text, ReadLimits limits = {}) {
  std::istringstream in(text);
  auto reader = make_yaml_reader(in, limits);
  std::vector<Value> docs;
  Value v;
  while (reader->next(v)) docs.push_back(v);
  return docs;
}

TEST(YamlReader, ReadsMultipleDocumentsOneAtATime) {
  auto docs = read_all_yaml("a: 1\n---\nb: [x, y]\n---\n---\nc: {d: e}\n");
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].find("a")->str(), "1");
  EXPECT_EQ(docs[1].find("b")->items.size(), 2u);
  EXPECT_TRUE(docs[2].is_null());
  EXPECT_EQ(docs[3].find({"c", "d"})->str(), "e");
  EXPECT_EQ(docs[3].find("c")->line, 6);
}

TEST(YamlReader, QuotedScalarsAreStrings) {
  auto doc = read_all_yaml("a: true\nb: 'true'\nc: \"0\"\nd: 0\ne: ~\nf:\n")[0];
  EXPECT_EQ(doc.find("a")->as_bool(), true);
  EXPECT_TRUE(doc.find("b")->quoted);
  EXPECT_EQ(doc.find("b")->as_bool(), true);  // the text still reads true ...
  EXPECT_EQ(doc.find("d")->as_int(), 0);
  EXPECT_TRUE(doc.find("e")->is_null());
  EXPECT_TRUE(doc.find("f")->is_null());
}

TEST(YamlReader, DuplicateKeysAreRejected) {
  std::istringstream in("securityContext:\n  privileged: false\n  privileged: true\n");
  auto reader = make_yaml_reader(in);
  Value v;
  try {
    reader->next(v);
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("\"privileged\" already set"), std::string::npos);
    EXPECT_EQ(e.line(), 3);
  }
}

TEST(YamlReader, AnchorsAliasesAndMergeKeys) {
  auto doc = read_all_yaml(
      "base: &sc {privileged: true, runAsUser: 0}\n"
      "copy: *sc\n"
      "merged: {<<: *sc, runAsUser: 1000}\n")[0];
  EXPECT_EQ(doc.find({"copy", "privileged"})->str(), "true");
  EXPECT_EQ(doc.find({"merged", "privileged"})->str(), "true");
  EXPECT_EQ(doc.find({"merged", "runAsUser"})->str(), "1000");
  EXPECT_EQ(doc.find("merged")->find("<<"), nullptr);
}

TEST(YamlReader, AliasExpansionIsBounded) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  EXPECT_THROW(read_all_yaml(bomb, ReadLimits{100000, 256}), ParseError);
}

TEST(YamlReader, DeepNestingIsBounded) {
  std::string deep(1000, '[');
  EXPECT_THROW(read_all_yaml(deep + std::string(1000, ']')), ParseError);
}

TEST(YamlReader, MalformedYamlSaysWhere) {
  std::istringstream in("a: 1\n---\nb: [unclosed\nc: d\n");
  auto reader = make_yaml_reader(in);
  Value v;
  EXPECT_TRUE(reader->next(v));
  try {
    reader->next(v);
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_GT(e.line(), 2);
  }
}

TEST(YamlReader, GoesOnAfterAMalformedDocumentWithStreamLines) {
  std::istringstream in("a: 1\n---\nb: [unclosed\n---\n# note\nc: 3\n");
  auto reader = make_yaml_reader(in);
  Value v;
  ASSERT_TRUE(reader->next(v));
  try {
    reader->next(v);
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_GE(e.line(), 3);
    EXPECT_LE(e.line(), 4);
  }
  ASSERT_TRUE(reader->next(v));
  EXPECT_EQ(v.find("c")->str(), "3");
  EXPECT_EQ(v.find("c")->line, 6);
  EXPECT_FALSE(reader->next(v));
}

TEST(YamlReader, DocumentMarkersDirectivesAndBlockScalars) {
  auto docs = read_all_yaml(
      "%YAML 1.2\n---\na: 1\n...\n--- {b: 2}\n--- |\n  text\n  --- not a marker\n"
      "---\nkey: |\n  line\n  ---\nafter: x\n");
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].find("a")->str(), "1");
  EXPECT_EQ(docs[1].find("b")->str(), "2");
  EXPECT_EQ(docs[1].find("b")->line, 5);
  EXPECT_EQ(docs[2].text, "text\n--- not a marker\n");
  EXPECT_EQ(docs[3].find("key")->str(), "line\n---\n");
  EXPECT_EQ(docs[3].find("after")->line, 13);
}

TEST(YamlReader, CommentsOnlyStreamHasNoDocument) {
  EXPECT_TRUE(read_all_yaml("# nothing here\n\n").empty());
  EXPECT_TRUE(read_all_yaml("").empty());
}

TEST(YamlReader, OversizedDocumentIsSkippedAndTheNextIsRead) {
  std::string big = "a: [";
  for (int i = 0; i < 2000; ++i) big += "xxxxxxxxxx,\n";
  big += "]\n---\nb: 2\n";
  std::istringstream in(big);
  ReadLimits limits;
  limits.max_document_bytes = 4096;
  auto reader = make_yaml_reader(in, limits);
  Value v;
  EXPECT_THROW(reader->next(v), ParseError);
  ASSERT_TRUE(reader->next(v));
  EXPECT_EQ(v.find("b")->str(), "2");
  EXPECT_FALSE(reader->next(v));
}

TEST(JsonReader, ReadsOneDocument) {
  std::istringstream in(R"({"kind":"Pod","spec":{"hostNetwork":true,"n":3,"s":"true","x":null}})");
  auto reader = make_json_reader(in);
  Value v;
  ASSERT_TRUE(reader->next(v));
  EXPECT_EQ(v.find("kind")->str(), "Pod");
  EXPECT_EQ(v.find({"spec", "hostNetwork"})->as_bool(), true);
  EXPECT_FALSE(v.find({"spec", "hostNetwork"})->quoted);
  EXPECT_TRUE(v.find({"spec", "s"})->quoted);
  EXPECT_EQ(v.find({"spec", "n"})->as_int(), 3);
  EXPECT_TRUE(v.find({"spec", "x"})->is_null());
  EXPECT_FALSE(reader->next(v));
}

TEST(JsonReader, MalformedJsonThrows) {
  std::istringstream in(R"({"kind": "Pod",)");
  Value v;
  EXPECT_THROW(make_json_reader(in)->next(v), ParseError);
}

}  // namespace
}  // namespace bulwark::document

#include "document/json_writer.h"

namespace bulwark::document {
namespace {

TEST(JsonWriter, RoundTripsThroughTheJsonReader) {
  std::istringstream in(R"({"a":[1,-2.5e3,true,null,"x\"y\n"],"b":{"c":"0","d":{}},"e":[]})");
  Value v;
  make_json_reader(in)->next(v);
  // web::json reads -2.5e3 as the number -2500; the writer keeps what the reader made of it.
  EXPECT_EQ(to_json(v), R"({"a":[1,-2500,true,null,"x\"y\n"],"b":{"c":"0","d":{}},"e":[]})");
}

TEST(JsonWriter, YamlPlainScalarsThatAreNotJsonLiteralsBecomeStrings) {
  std::istringstream in("a: yes\nb: 1.0\nc: 01\nd: hello\ne: ~\n");
  Value v;
  make_yaml_reader(in)->next(v);
  EXPECT_EQ(to_json(v), R"({"a":"yes","b":1.0,"c":"01","d":"hello","e":null})");
}

}  // namespace
}  // namespace bulwark::document
