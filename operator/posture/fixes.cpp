#include "operator/posture/fixes.h"

#include <algorithm>
#include <tuple>

#include "operator/posture/fix_builder.h"

namespace bulwark::posture {

using document::Value;

namespace detail {

namespace {

constexpr std::string_view kDropAll = "capabilities.drop+ALL";

int list_order(std::string_view list) {
  return list == "initContainers" ? 0 : list == "containers" ? 1 : 2;
}

// "spec.template.spec" as a JSON Pointer: the engine's paths up to a pod spec are field names
// only, without dots or indexes of their own.
std::string pointer_of(std::string_view dotted) {
  std::string out = "/";
  for (char ch : dotted) out += ch == '.' ? '/' : ch;
  return out;
}

bool absent(const Value* v) { return v == nullptr || v->is_null(); }

}  // namespace

FixBuilder::ContainerSettings& FixBuilder::container(const ContainerRef& c) {
  return containers_
      .try_emplace({list_order(c.list), c.index}, ContainerSettings{c.list, &c.node, {}})
      .first->second;
}

void FixBuilder::set(const ContainerRef& c, std::string_view control, std::string_view key,
                     Value value, std::string_view finding) {
  container(c).settings.push_back({std::string(key), std::move(value)});
  repaired_.emplace(std::string(control),
                    c.path("securityContext." + std::string(finding.empty() ? key : finding)));
}

void FixBuilder::drop_all(const ContainerRef& c, std::string_view control) {
  container(c).settings.push_back({std::string(kDropAll), Value::null()});
  repaired_.emplace(std::string(control), c.path("securityContext.capabilities.drop"));
}

bool FixBuilder::repairs(std::string_view control, const std::string& path) const {
  return repaired_.count(std::make_pair(std::string(control), path)) > 0;
}

void FixBuilder::container_ops(const ContainerSettings& c, const std::string& pointer,
                               std::vector<PatchOp>& out) {
  const Value* context = c.node->find("securityContext");
  const std::string base = pointer + "/securityContext";
  if (absent(context)) {
    Value whole = Value::object();
    for (const auto& s : c.settings) {
      if (s.key == kDropAll) {
        whole.set("capabilities", Value::object().set("drop", Value::array({"ALL"})));
      } else {
        whole.set(s.key, s.value);
      }
    }
    out.push_back({base, std::move(whole)});
    return;
  }
  for (const auto& s : c.settings) {
    if (s.key != kDropAll) {
      out.push_back({base + "/" + s.key, s.value});
      continue;
    }
    const Value* caps = context->find("capabilities");
    if (absent(caps)) {
      out.push_back({base + "/capabilities", Value::object().set("drop", Value::array({"ALL"}))});
    } else if (absent(caps->find("drop"))) {
      out.push_back({base + "/capabilities/drop", Value::array({"ALL"})});
    } else {
      out.push_back({base + "/capabilities/drop/-", Value::string("ALL")});
    }
  }
}

std::vector<PatchOp> FixBuilder::ops(const std::string& spec_pointer) const {
  std::vector<PatchOp> out;
  for (const auto& [at, c] : containers_) {
    container_ops(c, spec_pointer + "/" + std::string(c.list) + "/" + std::to_string(at.second),
                  out);
  }
  return out;
}

}  // namespace detail

const FixRule* fix_rule(std::string_view control) {
  for (const auto& rule : fix_table()) {
    if (rule.control == control) return &rule;
  }
  return nullptr;
}

FixPlan plan_fixes(const Workload& workload, const Verdict& verdict, std::string_view prefix,
                   std::string_view only_control) {
  FixPlan plan;
  const detail::PodView pod{
      workload.pod_metadata, *workload.pod_spec,
      workload.pod_path.empty() ? "metadata" : workload.pod_path + ".metadata",
      workload.pod_path.empty() ? "spec" : workload.pod_path + ".spec"};
  detail::FixBuilder builder;
  for (const auto& rule : fix_table()) {
    if (rule.plan == nullptr || (!only_control.empty() && rule.control != only_control)) continue;
    const bool found = std::any_of(verdict.violations.begin(), verdict.violations.end(),
                                   [&](const Violation& v) { return v.control == rule.control; });
    if (found) rule.plan(pod, builder);
  }
  plan.repaired.reserve(verdict.violations.size());
  for (const auto& v : verdict.violations) {
    const bool counted = only_control.empty() || v.control == only_control;
    const bool repaired = counted && builder.repairs(v.control, v.path);
    plan.repaired.push_back(repaired);
    if (counted) ++(repaired ? plan.fixed : plan.left);
  }
  plan.ops = builder.ops(std::string(prefix) + detail::pointer_of(pod.spec_path));
  return plan;
}

namespace {

// One reference token of a JSON Pointer, unescaped (~1 is "/", ~0 is "~").
std::string unescape_token(std::string_view token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

bool add(Value& doc, std::string_view path, const Value& value) {
  if (path.empty() || path.front() != '/') return false;
  Value* cur = &doc;
  path.remove_prefix(1);
  for (;;) {
    const auto slash = path.find('/');
    const std::string token = unescape_token(path.substr(0, slash));
    const bool last = slash == std::string_view::npos;
    if (cur->is_mapping()) {
      if (last) {
        cur->set(token, value);
        return true;
      }
      auto it = std::find_if(cur->members.begin(), cur->members.end(),
                             [&](const auto& m) { return m.first == token; });
      if (it == cur->members.end()) return false;
      cur = &it->second;
    } else if (cur->is_sequence()) {
      if (last && token == "-") {
        cur->items.push_back(value);
        return true;
      }
      if (token.empty() || token.size() > 9 ||
          token.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
      const std::size_t index = std::stoul(token);
      if (index > cur->items.size() || (!last && index == cur->items.size())) return false;
      if (last) {
        cur->items.insert(cur->items.begin() + static_cast<std::ptrdiff_t>(index), value);
        return true;
      }
      cur = &cur->items[index];
    } else {
      return false;
    }
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

bool apply_patch(Value& doc, const std::vector<PatchOp>& ops) {
  return std::all_of(ops.begin(), ops.end(),
                     [&](const PatchOp& op) { return add(doc, op.path, op.value); });
}

Value patch_document(const std::vector<PatchOp>& ops) {
  Value out = Value::array();
  for (const auto& op : ops) {
    out.push(Value::object()
                 .set("op", Value::string("add"))
                 .set("path", Value::string(op.path))
                 .set("value", op.value));
  }
  return out;
}

}  // namespace bulwark::posture
