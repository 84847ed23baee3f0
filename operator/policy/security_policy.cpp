#include "operator/policy/security_policy.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include "operator/base/time_text.h"
#include "operator/document/value.h"
#include "operator/images/public_key.h"
#include "operator/images/reference.h"
#include "operator/policy/control_ids.h"
#include "operator/policy/workload_kinds.h"
#include "operator/policy/written_names.h"

namespace bulwark::crds {

using document::Value;

std::optional<PssVersion> PssVersion::parse(std::string_view text) {
  if (text == "latest" || text.empty()) return PssVersion{};
  if (text.size() < 4 || text.substr(0, 3) != "v1.") return std::nullopt;
  int minor = 0;
  auto digits = text.substr(3);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), minor);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || minor < 0 || minor > 999) {
    return std::nullopt;
  }
  return PssVersion{minor};
}

std::string PssVersion::str() const { return latest() ? "latest" : "v1." + std::to_string(minor); }

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "critical";
    case Severity::kHigh:
      return "high";
    case Severity::kMedium:
      return "medium";
    case Severity::kLow:
      return "low";
  }
  return "unknown";
}

std::string_view to_string(PssLevel l) {
  switch (l) {
    case PssLevel::kPrivileged:
      return "privileged";
    case PssLevel::kBaseline:
      return "baseline";
    case PssLevel::kRestricted:
      return "restricted";
  }
  return "unknown";
}

std::optional<PssLevel> parse_level(std::string_view text) {
  if (text == "privileged") return PssLevel::kPrivileged;
  if (text == "baseline") return PssLevel::kBaseline;
  if (text == "restricted") return PssLevel::kRestricted;
  return std::nullopt;
}

namespace {

// Walks a mapping field by field, recording errors under the field's full path, and flags any
// key nobody asked for once the walk is over.
class Fields {
 public:
  Fields(const Value* node, std::string path, std::vector<FieldError>& errors)
      : node_(node), path_(std::move(path)), errors_(errors) {
    if (node_ != nullptr && !node_->is_null() && !node_->is_mapping()) {
      error(path_, "must be an object");
      node_ = nullptr;
    }
  }
  ~Fields() {
    if (node_ == nullptr) return;
    for (const auto& [key, value] : node_->members) {
      if (seen_.count(key) == 0) error(child(key), "unknown field");
    }
  }
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  void error(std::string field, std::string message) {
    errors_.push_back({std::move(field), std::move(message)});
  }
  std::vector<FieldError>& errors() { return errors_; }

  // The member, marked as known; nullptr when absent or null.
  const Value* get(std::string_view key) {
    seen_.emplace(key);
    if (node_ == nullptr) return nullptr;
    const Value* v = node_->find(key);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  void read_bool(std::string_view key, bool& out) {
    if (const Value* v = get(key)) {
      auto b = v->as_bool();
      if (b.has_value()) {
        out = *b;
      } else {
        error(child(key), "must be true or false, not \"" + v->text + "\"");
      }
    }
  }

  void read_string(std::string_view key, std::string& out) {
    if (const Value* v = get(key)) {
      if (v->is_scalar()) {
        out = v->text;
      } else {
        error(child(key), "must be a string");
      }
    }
  }

  void read_strings(std::string_view key, std::vector<std::string>& out) {
    if (const Value* v = get(key)) {
      if (!v->is_sequence()) {
        error(child(key), "must be a list of strings");
        return;
      }
      out.clear();
      for (std::size_t i = 0; i < v->items.size(); ++i) {
        if (!v->items[i].is_scalar()) {
          error(child(key) + "[" + std::to_string(i) + "]", "must be a string");
          continue;
        }
        out.push_back(v->items[i].text);
      }
    }
  }

  // A string that must be one of `allowed`; returns it, or nullopt (with an error) otherwise.
  std::optional<std::string> read_enum(std::string_view key,
                                       std::initializer_list<std::string_view> allowed) {
    std::string value;
    if (get(key) == nullptr) return std::nullopt;
    read_string(key, value);
    for (auto a : allowed) {
      if (a == value) return value;
    }
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    error(child(key), "must be one of " + list + ", not \"" + value + "\"");
    return std::nullopt;
  }

 private:
  const Value* node_;
  std::string path_;
  std::vector<FieldError>& errors_;
  std::set<std::string, std::less<>> seen_;
};

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A label name or value: at most 63 characters, alphanumeric at both ends, "-_." inside.
bool valid_label_name(std::string_view s, bool may_be_empty) {
  if (s.empty()) return may_be_empty;
  if (s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A label key: an optional DNS-subdomain prefix and "/", then a name. The schema cannot say this,
// so the operator does (Ready=False naming the field).
std::string label_key_problem(std::string_view key) {
  const auto slash = key.find('/');
  if (slash != std::string_view::npos) {
    const auto prefix = key.substr(0, slash);
    const bool prefix_ok =
        !prefix.empty() && prefix.size() <= 253 && alnum(prefix.front()) && alnum(prefix.back()) &&
        std::all_of(prefix.begin(), prefix.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        });
    if (!prefix_ok)
      return "label key prefix \"" + std::string(prefix) + "\" is not a DNS subdomain";
    key = key.substr(slash + 1);
  }
  if (!valid_label_name(key, false)) {
    return "\"" + std::string(key) +
           "\" is not a valid label name (at most 63 characters: letters, digits, '-', '_', '.', "
           "starting and ending with a letter or digit)";
  }
  return "";
}

}  // namespace

namespace {

// A requirement's values are strings, and label values in a new NetworkPolicy, as matchLabels'
// are (ValidateLabelSelectorRequirement).
void check_label_values(const Value* values, const std::string& path,
                        std::vector<FieldError>& errors, SelectorValues strictness) {
  if (values == nullptr || !values->is_sequence()) return;
  for (std::size_t i = 0; i < values->items.size(); ++i) {
    const Value& v = values->items[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!v.is_scalar()) continue;  // read_strings says so
    if (!v.is_string()) {
      errors.push_back({at, "must be a string"});
    } else if (strictness == SelectorValues::kNewNetworkPolicy && !valid_label_name(v.text, true)) {
      errors.push_back({at, "\"" + v.text + "\" is not a valid label value"});
    }
  }
}

}  // namespace

void read_label_selector(const Value* node, const std::string& path, LabelSelector& out,
                         std::vector<FieldError>& errors, SelectorValues values) {
  Fields f(node, path, errors);
  if (const Value* labels = f.get("matchLabels")) {
    if (!labels->is_mapping()) {
      f.error(f.child("matchLabels"), "must be an object of label keys to values");
    } else {
      for (const auto& [k, v] : labels->members) {
        const std::string field = f.child("matchLabels") + "." + k;
        if (auto problem = label_key_problem(k); !problem.empty()) {
          f.error(field, problem);
        } else if (!v.is_string()) {
          f.error(field, "must be a string");
        } else if (!valid_label_name(v.text, true)) {
          f.error(field, "\"" + v.text + "\" is not a valid label value");
        } else {
          out.match_labels[k] = v.text;
        }
      }
    }
  }
  if (const Value* exprs = f.get("matchExpressions")) {
    if (!exprs->is_sequence()) {
      f.error(f.child("matchExpressions"), "must be a list");
      return;
    }
    for (std::size_t i = 0; i < exprs->items.size(); ++i) {
      const std::string epath = f.child("matchExpressions") + "[" + std::to_string(i) + "]";
      Fields e(&exprs->items[i], epath, errors);
      LabelSelector::Requirement req;
      e.read_string("key", req.key);
      if (req.key.empty()) {
        e.error(e.child("key"), "is required");
      } else if (auto problem = label_key_problem(req.key); !problem.empty()) {
        e.error(e.child("key"), problem);
      }
      e.read_strings("values", req.values);
      check_label_values(e.get("values"), e.child("values"), errors, values);
      auto op = e.read_enum("operator", {"In", "NotIn", "Exists", "DoesNotExist"});
      if (e.get("operator") == nullptr) e.error(e.child("operator"), "is required");
      if (!op) continue;
      using Op = LabelSelector::Requirement::Operator;
      req.op = *op == "In"       ? Op::kIn
               : *op == "NotIn"  ? Op::kNotIn
               : *op == "Exists" ? Op::kExists
                                 : Op::kDoesNotExist;
      const bool needs_values = req.op == Op::kIn || req.op == Op::kNotIn;
      if (needs_values && req.values.empty()) {
        e.error(e.child("values"), "must be non-empty for operator " + *op);
      } else if (!needs_values && !req.values.empty()) {
        e.error(e.child("values"), "must be empty for operator " + *op);
      }
      out.match_expressions.push_back(std::move(req));
    }
  }
}

namespace {

void read_match(const Value* node, MatchSpec& out, std::vector<FieldError>& errors) {
  Fields m(node, "spec.match", errors);
  read_label_selector(m.get("namespaceSelector"), "spec.match.namespaceSelector",
                      out.namespace_selector, errors);
  m.read_strings("excludeNamespaces", out.exclude_namespaces);
  read_label_selector(m.get("workloadSelector"), "spec.match.workloadSelector",
                      out.workload_selector, errors);
  m.read_strings("kinds", out.kinds);
  for (std::size_t i = 0; i < out.kinds.size(); ++i) {
    if (posture::find_workload_kind(out.kinds[i]) == nullptr) {
      std::string known;
      for (const auto& k : posture::kWorkloadKinds) {
        known += (known.empty() ? "" : ", ") + std::string(k.kind);
      }
      m.error("spec.match.kinds[" + std::to_string(i) + "]",
              "unsupported kind \"" + out.kinds[i] + "\" (" + known + ")");
    }
  }
}

void read_pod_security(const Value* node, PodSecuritySpec& out, std::vector<FieldError>& errors) {
  Fields p(node, "spec.podSecurity", errors);
  if (auto level = p.read_enum("level", {"privileged", "baseline", "restricted"})) {
    out.level = *parse_level(*level);
  }
  std::string version;
  p.read_string("version", version);
  if (!version.empty()) {
    if (auto v = PssVersion::parse(version)) {
      out.version = *v;
    } else {
      p.error("spec.podSecurity.version",
              "must be \"latest\" or \"v1.N\", not \"" + version + "\"");
    }
  }
}

// Keyless signing (Fulcio certificates, Rekor inclusion) is refused by name, not as an unknown
// field: a user who wrote it expects it checked.
void refuse_keyless(Fields& e, const std::string& path) {
  for (std::string_view key : {"keyless", "certificateIdentity", "certificateOidcIssuer",
                               "certificateIdentityRegexp", "rekor", "fulcio", "ctlog"}) {
    if (e.get(key) != nullptr) {
      e.error(path + "." + std::string(key),
              "keyless verification (Fulcio certificates, Rekor inclusion) is not supported; "
              "name the keys that sign in publicKeys");
    }
  }
}

void read_signing_key(const Value& node, const std::string& path, SigningKey& out,
                      std::vector<FieldError>& errors) {
  Fields k(&node, path, errors);
  k.read_string("pem", out.pem);
  if (const Value* secret = k.get("secret")) {
    Fields s(secret, path + ".secret", errors);
    s.read_string("name", out.secret_name);
    s.read_string("key", out.secret_key);
    if (out.secret_name.empty() || out.secret_key.empty()) {
      s.error(path + ".secret", "must name the Secret (name) and its key (key)");
    }
  }
  if (out.pem.empty() == out.secret_name.empty()) {
    k.error(path, "must give exactly one of pem and secret");
  } else if (!out.pem.empty()) {
    std::string problem;
    if (!images::PublicKey::from_pem(out.pem, problem)) k.error(path + ".pem", problem);
  }
}

void read_verify_entry(const Value& node, const std::string& path, ImageVerifyEntry& out,
                       std::vector<FieldError>& errors) {
  Fields e(&node, path, errors);
  e.read_strings("imageReferences", out.image_references);
  if (out.image_references.empty()) e.error(path + ".imageReferences", "must name images");
  for (std::size_t i = 0; i < out.image_references.size(); ++i) {
    const std::string p = repository_pattern_problem(out.image_references[i], true);
    if (!p.empty()) {
      e.error(path + ".imageReferences[" + std::to_string(i) + "]",
              "\"" + out.image_references[i] + "\" " + p);
    }
  }
  if (const Value* keys = e.get("publicKeys"); keys != nullptr && keys->is_sequence()) {
    for (std::size_t k = 0; k < keys->items.size(); ++k) {
      read_signing_key(keys->items[k], path + ".publicKeys[" + std::to_string(k) + "]",
                       out.public_keys.emplace_back(), errors);
    }
  }
  if (out.public_keys.empty()) e.error(path + ".publicKeys", "must list at least one key");
  e.read_strings("signedIdentities", out.signed_identities);
  for (std::size_t i = 0; i < out.signed_identities.size(); ++i) {
    const std::string p = repository_pattern_problem(out.signed_identities[i], false);
    if (!p.empty()) {
      e.error(path + ".signedIdentities[" + std::to_string(i) + "]",
              "\"" + out.signed_identities[i] + "\" " + p);
    }
  }
  e.read_string("credentialsSecret", out.credentials_secret);
  refuse_keyless(e, path);
}

void read_images(const Value* node, ImagesSpec& out, std::vector<FieldError>& errors) {
  Fields i(node, "spec.images", errors);
  if (const Value* verify = i.get("verify")) {
    if (!verify->is_sequence()) i.error("spec.images.verify", "must be a list");
    for (std::size_t v = 0; verify->is_sequence() && v < verify->items.size(); ++v) {
      read_verify_entry(verify->items[v], "spec.images.verify[" + std::to_string(v) + "]",
                        out.verify.emplace_back(), errors);
    }
  }
  i.read_strings("allowedRegistries", out.allowed_registries);
  i.read_bool("forbidLatestTag", out.forbid_latest_tag);
  i.read_bool("requireDigest", out.require_digest);
  if (const Value* sev = i.get("maxSeverity"); sev != nullptr && !sev->str().empty()) {
    if (auto s = i.read_enum("maxSeverity", {"Critical", "High", "Medium", "Low"})) {
      out.max_severity = *s == "Critical" ? Severity::kCritical
                         : *s == "High"   ? Severity::kHigh
                         : *s == "Medium" ? Severity::kMedium
                                          : Severity::kLow;
    }
  }
}

void read_enforcement(const Value* node, EnforcementSpec& out, std::vector<FieldError>& errors) {
  Fields e(node, "spec.enforcement", errors);
  if (auto mode = e.read_enum("mode", {"Audit", "Enforce"})) {
    out.mode = *mode == "Audit" ? EnforcementMode::kAudit : EnforcementMode::kEnforce;
  }
  if (auto fallback = e.read_enum("unenforcedQuarantine", {"Report", "ScaleToZero"})) {
    out.unenforced_quarantine =
        *fallback == "Report" ? UnenforcedQuarantine::kReport : UnenforcedQuarantine::kScaleToZero;
  }
  std::vector<std::string> actions;
  e.read_strings("actions", actions);
  if (e.get("actions") != nullptr) out.actions.clear();
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const auto& a = actions[i];
    if (a == "Annotate") {
      out.actions.push_back(EnforcementAction::kAnnotate);
    } else if (a == "Quarantine") {
      out.actions.push_back(EnforcementAction::kQuarantine);
    } else if (a == "ScaleToZero") {
      out.actions.push_back(EnforcementAction::kScaleToZero);
    } else if (a == "Deny") {
      out.actions.push_back(EnforcementAction::kDeny);
    } else if (a == "Harden") {
      out.actions.push_back(EnforcementAction::kHarden);
    } else {
      e.error("spec.enforcement.actions[" + std::to_string(i) + "]",
              "must be one of Annotate, Quarantine, ScaleToZero, Deny, Harden, not \"" + a + "\"");
    }
  }
}

// A `forbid` list: control IDs of one family (their prefix), each once. networkDefaultDeny is
// no workload's control (defaultDeny turns it on).
void read_forbid(Fields& f, const std::string& path, std::vector<std::string>& out,
                 std::string_view prefix, std::string_view what) {
  f.read_strings("forbid", out);
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::string& id = out[i];
    const std::string field = path + "[" + std::to_string(i) + "]";
    if (id.rfind(prefix, 0) != 0 || !is_known_control(id) || id == "networkDefaultDeny") {
      f.error(field, "must be " + std::string(what) + ", not \"" + id + "\"");
    } else if (!seen.insert(id).second) {
      f.error(field, "\"" + id + "\" is listed twice");
    }
  }
}

void read_exemptions(const Value* list, std::vector<Exemption>& out,
                     std::vector<FieldError>& errors) {
  if (!list->is_sequence()) {
    errors.push_back({"spec.exemptions", "must be a list"});
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const std::string path = "spec.exemptions[" + std::to_string(i) + "]";
    Fields x(&list->items[i], path, errors);
    Exemption ex;
    x.read_string("name", ex.name);
    if (ex.name.empty()) {
      x.error(path + ".name", "is required");
    } else if (!names.insert(ex.name).second) {
      x.error(path + ".name", "\"" + ex.name + "\" is used by another exemption");
    }
    x.read_strings("namespaces", ex.namespaces);
    read_label_selector(x.get("workloadSelector"), path + ".workloadSelector", ex.workload_selector,
                        errors);
    x.read_strings("controls", ex.controls);
    for (std::size_t c = 0; c < ex.controls.size(); ++c) {
      if (!is_known_control(ex.controls[c])) {
        x.error(path + ".controls[" + std::to_string(c) + "]",
                "unknown control \"" + ex.controls[c] + "\"");
      }
    }
    std::string expires;
    x.read_string("expires", expires);
    if (!expires.empty()) {
      ex.expires = base::parse_rfc3339(expires);
      if (!ex.expires) {
        x.error(path + ".expires",
                "must be an RFC 3339 time such as 2027-03-01T00:00:00Z, not \"" + expires + "\"");
      }
    }
    x.read_string("reason", ex.reason);
    out.push_back(std::move(ex));
  }
}

void read_spec(const Value* node, SecurityPolicySpec& spec, std::vector<FieldError>& errors) {
  Fields f(node, "spec", errors);
  read_match(f.get("match"), spec.match, errors);
  read_pod_security(f.get("podSecurity"), spec.pod_security, errors);
  read_images(f.get("images"), spec.images, errors);
  {
    Fields r(f.get("resources"), "spec.resources", errors);
    r.read_bool("requireLimits", spec.resources.require_limits);
    r.read_bool("requireRequests", spec.resources.require_requests);
  }
  {
    Fields s(f.get("serviceAccount"), "spec.serviceAccount", errors);
    s.read_bool("forbidAutomountToken", spec.service_account.forbid_automount_token);
  }
  {
    Fields p(f.get("permissions"), "spec.permissions", errors);
    read_forbid(p, "spec.permissions.forbid", spec.permissions.forbid, "rbac",
                "an RBAC control ID (rbacClusterAdmin, rbacWildcard, ...)");
  }
  {
    Fields n(f.get("network"), "spec.network", errors);
    n.read_bool("defaultDeny", spec.network.default_deny);
    n.read_bool("allowDNSEgress", spec.network.allow_dns_egress);
    read_forbid(n, "spec.network.forbid", spec.network.forbid, "network",
                "a network control ID (networkIngressUnrestricted, networkIngressFromWorld, ...)");
  }
  read_enforcement(f.get("enforcement"), spec.enforcement, errors);
  if (const Value* list = f.get("exemptions")) read_exemptions(list, spec.exemptions, errors);
}

}  // namespace

PolicyParseResult parse_security_policy(const Value& doc) {
  PolicyParseResult result;
  auto& errors = result.errors;
  if (!doc.is_mapping()) {
    errors.push_back({"", "a SecurityPolicy must be an object"});
    return result;
  }
  Fields top(&doc, "", errors);
  std::string api_version, kind;
  top.read_string("apiVersion", api_version);
  top.read_string("kind", kind);
  if (api_version != kSecurityPolicyApiVersion) {
    top.error("apiVersion", "must be bulwark.dev/v1alpha1, not \"" + api_version + "\"");
  }
  if (kind != "SecurityPolicy") top.error("kind", "must be SecurityPolicy, not \"" + kind + "\"");
  if (const Value* meta = top.get("metadata")) {
    if (const Value* name = meta->find("name")) result.policy.name = std::string(name->str());
    if (const Value* gen = meta->find("generation")) {
      result.policy.generation = gen->as_int().value_or(0);
    }
  }
  top.get("status");  // written by the operator; never an input
  read_spec(top.get("spec"), result.policy.spec, errors);
  return result;
}

}  // namespace bulwark::crds
