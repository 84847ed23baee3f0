#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/label_selector.h"
#include "operator/policy/workload_kinds.h"

namespace bulwark::document {
struct Value;
}

namespace bulwark::crds {

// The SecurityPolicy resource of docs/api.md, SecurityPolicy as typed C++, with the schema's
// defaults. Plain data; parse_security_policy() is the only way in from YAML or JSON.

enum class PssLevel { kPrivileged, kBaseline, kRestricted };

// A Pod Security Standards release: "latest" or "v1.N".
struct PssVersion {
  static constexpr int kLatestKnownMinor = 37;  // the newest release whose semantics we implement
  int minor = -1;                               // -1 means latest

  bool latest() const { return minor < 0; }
  // The minor whose semantics apply: releases newer than we know behave as the newest we know,
  // as upstream Pod Security Admission does.
  int effective_minor() const {
    return latest() || minor > kLatestKnownMinor ? kLatestKnownMinor : minor;
  }
  static std::optional<PssVersion> parse(std::string_view text);
  std::string str() const;
};

enum class Severity { kCritical, kHigh, kMedium, kLow };
std::string_view to_string(Severity s);
std::string_view to_string(PssLevel l);
std::optional<PssLevel> parse_level(std::string_view text);

struct MatchSpec {
  LabelSelector namespace_selector;
  std::vector<std::string> exclude_namespaces{"kube-system", "kube-public", "kube-node-lease"};
  LabelSelector workload_selector;
  std::vector<std::string> kinds = [] {  // default: every kind posture/workload_kinds.h lists
    std::vector<std::string> all;
    for (const auto& k : posture::kWorkloadKinds) all.emplace_back(k.kind);
    return all;
  }();
};

struct PodSecuritySpec {
  PssLevel level = PssLevel::kRestricted;
  PssVersion version;
};

// A key that may sign images: its PEM inline, or the key `secret_key` of the Secret
// `secret_name` in the operator's namespace (read by the operator alone).
struct SigningKey {
  std::string pem;
  std::string secret_name;
  std::string secret_key;
};

// images.verify[]: the images an entry covers must carry a cosign signature by one of its keys.
struct ImageVerifyEntry {
  std::vector<std::string> image_references;  // as images::covers, "/*" for what lies under
  std::vector<SigningKey> public_keys;
  // The docker-reference claims taken (mirrors); empty: the image's own repository only.
  std::vector<std::string> signed_identities;
  // A kubernetes.io/dockerconfigjson Secret in the operator's namespace: registry credentials.
  std::string credentials_secret;
};

struct ImagesSpec {
  std::vector<std::string> allowed_registries;  // empty: any registry
  bool forbid_latest_tag = true;
  bool require_digest = false;
  std::optional<Severity> max_severity;  // unset: vulnerability reports are not consulted
  std::vector<ImageVerifyEntry> verify;  // empty: signatures are not consulted
};

// The images.verify entries that cover an image (a reference as a pod spec writes it): each must
// be satisfied, by a signature from one of its own keys. Empty: the image needs no signature.
std::vector<const ImageVerifyEntry*> verify_entries_for(const ImagesSpec& images,
                                                        std::string_view image);
// What a policy's verdicts on signatures depend on: its entries, as one string. Two policies
// with the same entries share verdicts.
std::string verify_key(const ImagesSpec& images);
// Why an imageReferences (`wildcard`: "/*" may end it) or signedIdentities entry names no
// repository as references do (a scheme, a tag, a digest, another wildcard, uppercase); "" when
// it does.
std::string repository_pattern_problem(std::string_view pattern, bool wildcard);

struct ResourcesSpec {
  bool require_limits = false;
  bool require_requests = false;
};

struct ServiceAccountSpec {
  bool forbid_automount_token = false;
};

// The RBAC controls a policy judges (rbac*: docs/api.md, Control IDs); none by default.
struct PermissionsSpec {
  std::vector<std::string> forbid;
};

struct NetworkSpec {
  bool default_deny = true;
  bool allow_dns_egress = true;
  // The network controls a policy judges (network*: docs/api.md, Network controls); none by
  // default, so no policy starts failing on upgrade.
  std::vector<std::string> forbid;
};

enum class EnforcementMode { kAudit, kEnforce };
// kDeny is acted on at admission (the validating webhook refuses a violating object); the
// others by the reconcilers on what exists.
// kHarden: the fixes of docs/api.md (Fixes) applied to new pods by the API server itself, through
// the MutatingAdmissionPolicy bulwark-harden (reconcilers/harden_scope.h says where).
enum class EnforcementAction { kAnnotate, kQuarantine, kScaleToZero, kDeny, kHarden };

// What Enforce + Quarantine does for a workload whose pods run on a node that does not enforce
// NetworkPolicy (the enforcement canary's verdict): report it only, or scale it to zero as
// ScaleToZero does (Deployments and StatefulSets) while any node does not enforce.
enum class UnenforcedQuarantine { kReport, kScaleToZero };

struct EnforcementSpec {
  EnforcementMode mode = EnforcementMode::kAudit;
  std::vector<EnforcementAction> actions{EnforcementAction::kAnnotate};
  UnenforcedQuarantine unenforced_quarantine = UnenforcedQuarantine::kReport;
};

struct Exemption {
  std::string name;
  std::vector<std::string> namespaces;  // empty: every namespace
  LabelSelector workload_selector;
  std::vector<std::string> controls;  // empty: every control
  std::optional<std::chrono::system_clock::time_point> expires;
  std::string reason;
};

struct SecurityPolicySpec {
  MatchSpec match;
  PodSecuritySpec pod_security;
  ImagesSpec images;
  ResourcesSpec resources;
  ServiceAccountSpec service_account;
  PermissionsSpec permissions;
  NetworkSpec network;
  EnforcementSpec enforcement;
  std::vector<Exemption> exemptions;
};

struct SecurityPolicy {
  std::string name;
  std::int64_t generation = 0;
  SecurityPolicySpec spec;
};

// What is wrong with a policy, and where: `field` is a path such as "spec.podSecurity.level".
struct FieldError {
  std::string field;
  std::string message;
};

struct PolicyParseResult {
  SecurityPolicy policy;
  std::vector<FieldError> errors;  // empty when the policy is valid
  bool ok() const { return errors.empty(); }
};

// Reads a SecurityPolicy document. Collects every problem rather than stopping at the first,
// so a user fixes a policy in one round. Unknown fields are errors: they are typos more often
// than not, and the CRD's structural schema would drop them silently.
PolicyParseResult parse_security_policy(const document::Value& doc);

// How much of a label selector's syntax to check: what the API server checks in a new
// NetworkPolicy (`kNewNetworkPolicy`, ValidateLabelSelector: a requirement's values must be label
// values too), or what it has let through in a stored object or checks through a CRD's schema
// (`kStored`: those values are any strings; one no label holds matches nothing).
enum class SelectorValues { kStored, kNewNetworkPolicy };

// Reads a metav1.LabelSelector at `path` (null: the empty selector), as the API server validates
// it: label keys, matchLabels values, operators and their values (strings; label values too for
// `values` = kNewNetworkPolicy). Unknown keys are errors.
void read_label_selector(const document::Value* node, const std::string& path, LabelSelector& out,
                         std::vector<FieldError>& errors,
                         SelectorValues values = SelectorValues::kStored);

}  // namespace bulwark::crds
