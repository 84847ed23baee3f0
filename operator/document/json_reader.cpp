// The one file that reads documents with cpprestsdk's web::json, the project's JSON library
// (see ARCHITECTURE.md: faster than the alternatives here). Converts to Value.
#include <cpprest/json.h>

#include <sstream>

#include "document/reader.h"

namespace bulwark::document {
namespace {

class JsonReader : public DocumentReader {
 public:
  JsonReader(std::istream& in, ReadLimits limits) : in_(in), limits_(limits) {}

  bool next(Value& out) override {
    if (done_) return false;
    done_ = true;
    std::error_code ec;
    web::json::value parsed = web::json::value::parse(in_, ec);
    if (ec) throw ParseError("invalid JSON: " + ec.message(), 0, 0);
    std::size_t nodes = 0;
    out = convert(parsed, 0, nodes);
    return true;
  }

 private:
  Value convert(const web::json::value& j, std::size_t depth, std::size_t& nodes) const {
    if (depth > limits_.max_depth) {
      throw ParseError(
          "document nests deeper than " + std::to_string(limits_.max_depth) + " levels", 0, 0);
    }
    if (++nodes > limits_.max_nodes_per_document) {
      throw ParseError(
          "document has more than " + std::to_string(limits_.max_nodes_per_document) + " nodes", 0,
          0);
    }
    Value v;
    switch (j.type()) {
      case web::json::value::Null:
        break;
      case web::json::value::Boolean:
        v.type = Value::Type::kScalar;
        v.text = j.as_bool() ? "true" : "false";
        break;
      case web::json::value::Number:
      case web::json::value::String:
        v.type = Value::Type::kScalar;
        v.quoted = j.is_string();
        v.text = j.is_string() ? j.as_string() : j.serialize();
        break;
      case web::json::value::Array:
        v.type = Value::Type::kSequence;
        v.items.reserve(j.as_array().size());
        for (const auto& item : j.as_array()) v.items.push_back(convert(item, depth + 1, nodes));
        break;
      case web::json::value::Object:
        v.type = Value::Type::kMapping;
        v.members.reserve(j.as_object().size());
        for (const auto& [key, member] : j.as_object()) {
          v.members.emplace_back(key, convert(member, depth + 1, nodes));
        }
        break;
    }
    return v;
  }

  std::istream& in_;
  ReadLimits limits_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> make_json_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<JsonReader>(in, limits);
}

Value parse_json(const std::string& text) {
  std::istringstream in(text);
  Value v;
  make_json_reader(in)->next(v);
  return v;
}

}  // namespace bulwark::document
