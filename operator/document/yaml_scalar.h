#pragma once

#include <string>
#include <string_view>

namespace bulwark::document {

// What a YAML scalar is to Kubernetes. kubectl and the API server read YAML with
// sigs.k8s.io/yaml, which resolves scalars with go.yaml.in/yaml/v2's YAML 1.1 rules and then
// writes JSON. This mirrors go.yaml.in/yaml/v2 v2.4 resolve.go and decode.go's scalar():
// - plain `y Y yes Yes YES on On ON true True TRUE` are true, their n/no/off/false forms false;
// - plain `~ null Null NULL` and the empty scalar are null;
// - plain integers in any base Go's strconv.ParseInt(s, 0, 64) reads (0x, 0o, 0b, a leading 0 for
//   octal), with a sign, and with underscores anywhere (they are dropped first);
// - plain floats (`1.`, `.5`, `1e3`, `0.0`), integral ones included: JSON then carries `0`;
// - `.inf` and `.nan` are floats JSON cannot carry, so kubectl refuses them: so does the reader;
// - quoted scalars, `!` and unknown local tags are strings; `!!str` makes anything a string;
//   `!!bool`, `!!int`, `!!float`, `!!null` resolve as plain and must agree (`!!int` on `1.5` is an
//   error; `!!float` on `1` is 1); timestamps stay strings.
struct YamlScalar {
  enum class Kind { kNull, kBool, kInt, kFloat, kString };
  Kind kind = Kind::kString;
  // Canonical text: "true"/"false", a decimal integer, a float in shortest round-trip form, or
  // the string itself.
  std::string text;
};

// `tag` as yaml-cpp reports it: "?" for a plain scalar, "!" for a quoted one, else the resolved
// tag ("tag:yaml.org,2002:bool" for `!!bool`). Throws std::invalid_argument with a message when
// the scalar cannot be what Kubernetes' decoder would make of it.
YamlScalar resolve_yaml_scalar(std::string_view tag, std::string_view text);

// A mapping key as sigs.k8s.io/yaml turns it into a JSON member name (a bool key becomes "true",
// an integer its decimal form). Throws std::invalid_argument for keys it refuses (null).
std::string yaml_key_name(std::string_view tag, std::string_view text);

// Go's strconv.ParseInt(s, 0, 64) and ParseFloat(s, 64) over decimal syntax, for the resolver
// and its tests. False when Go would return an error.
bool go_parse_int(std::string_view s, long long& out);
bool go_parse_uint(std::string_view s, unsigned long long& out);
bool go_parse_float(std::string_view s, double& out);

}  // namespace bulwark::document
