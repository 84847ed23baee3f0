#include "operator/document/yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "operator/document/yaml_scalar.h"

namespace bulwark::document {

namespace {

// Whether a plain scalar of this text would read back as a string.
bool plain_reads_as_string(const std::string& text) {
  if (text.empty()) return false;
  try {
    return resolve_yaml_scalar("?", text).kind == YamlScalar::Kind::kString;
  } catch (const std::invalid_argument&) {
    return false;  // .inf, .nan: quoted
  }
}

void emit(YAML::Emitter& out, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull:
      out << YAML::Null;
      return;
    case Value::Type::kScalar:
      if (v.quoted && !plain_reads_as_string(v.text)) {
        out << YAML::DoubleQuoted << v.text;
      } else {
        out << v.text;
      }
      return;
    case Value::Type::kSequence:
      out << YAML::BeginSeq;
      for (const auto& item : v.items) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Value::Type::kMapping:
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.members) {
        out << YAML::Key;
        if (plain_reads_as_string(key)) {
          out << key;
        } else {
          out << YAML::DoubleQuoted << key;
        }
        out << YAML::Value;
        emit(out, value);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

std::string to_yaml(const Value& v) {
  YAML::Emitter out;
  emit(out, v);
  if (!out.good()) throw std::runtime_error("cannot write YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace bulwark::document
