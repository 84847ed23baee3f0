// Bulwark's own workload controls (docs/api.md, Control IDs) that read only the manifest.
#include <algorithm>

#include "operator/posture/check.h"
#include "operator/posture/engine.h"

namespace bulwark::posture::detail {

namespace {

// Calls fn(container, image) for each container that names an image.
template <class Fn>
void visit_images(const PodView& pod, Fn&& fn) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* image = c.node.find("image");
    fn(c, image != nullptr ? image->str() : std::string_view{});
  });
}

}  // namespace

void check_image_registry(const PodView& pod, const std::vector<std::string>& allowed,
                          Findings& out) {
  if (allowed.empty()) return;
  visit_images(pod, [&](const ContainerRef& c, std::string_view image) {
    const std::string name = repository_of(parse_image(image));
    const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& entry) {
      return images::covers(entry, name, false);
    });
    if (!ok) {
      out.add(c.label() + " uses image \"" + std::string(image) +
                  "\" from a registry outside spec.images.allowedRegistries",
              c.path("image"));
    }
  });
}

namespace {

// The covered containers' verdicts, in the pod's order: nullptr where there is none (or none
// were verified at all).
template <class Fn>
void visit_signed_images(const OwnCheckInput& in, Fn&& fn) {
  const images::ImageSignatures* verdicts = nullptr;
  if (in.context.image_signatures != nullptr) {
    const auto it = in.context.image_signatures->find(crds::verify_key(in.spec.images));
    if (it != in.context.image_signatures->end()) verdicts = &it->second;
  }
  visit_images(in.pod, [&](const ContainerRef& c, std::string_view image) {
    if (crds::verify_entries_for(in.spec.images, image).empty()) return;
    const images::ContainerSignature* found = nullptr;
    if (verdicts != nullptr) {
      const auto it = verdicts->find(c.name());
      if (it != verdicts->end()) found = &it->second;
    }
    fn(c, image, found);
  });
}

bool signature_fails(const images::ContainerSignature* s) {
  return s != nullptr && (s->verdict.result == images::SignatureResult::kUnsigned ||
                          s->verdict.result == images::SignatureResult::kBadSignature ||
                          s->verdict.result == images::SignatureResult::kUnverifiable);
}

}  // namespace

std::optional<std::string> image_signature_unread(const OwnCheckInput& in) {
  // A violation anywhere is judged as one; otherwise a covered container not verified leaves the
  // control unjudged, never passed. A pod with no covered container needs no verdict.
  bool fails = false;
  std::string unknown;
  visit_signed_images(
      in, [&](const ContainerRef& c, std::string_view, const images::ContainerSignature* s) {
        fails = fails || signature_fails(s);
        if (!unknown.empty()) return;
        if (in.context.image_signatures == nullptr) {
          unknown = in.context.image_signatures_unread;
        } else if (s == nullptr || s->verdict.result == images::SignatureResult::kNotEvaluated) {
          unknown = c.label() + ": " +
                    (s == nullptr ? "its image signature was not verified"
                                  : s->image + ": " + s->verdict.detail);
        }
      });
  if (fails || unknown.empty()) return std::nullopt;
  return unknown;
}

void check_image_signature(const OwnCheckInput& in, Findings& out) {
  visit_signed_images(
      in, [&](const ContainerRef& c, std::string_view image, const images::ContainerSignature* s) {
        if (!signature_fails(s)) return;
        using images::SignatureResult;
        const std::string_view what =
            s->verdict.result == SignatureResult::kUnsigned
                ? "with no signature by a key of spec.images.verify"
            : s->verdict.result == SignatureResult::kUnverifiable
                ? "whose signature could not be verified (admission fails closed)"
                : "whose signatures do not verify";
        out.add(c.label() + " runs image \"" + std::string(image) + "\" (" + s->image + ") " +
                    std::string(what) + ": " + s->verdict.detail,
                c.path("image"));
      });
}

void check_image_latest_tag(const PodView& pod, Findings& out) {
  visit_images(pod, [&](const ContainerRef& c, std::string_view image) {
    const ImageRef ref = parse_image(image);
    if (ref.tag == "latest") {
      out.add(c.label() + " uses image \"" + std::string(image) + "\" with the :latest tag",
              c.path("image"));
    } else if (ref.tag.empty() && ref.digest.empty()) {
      out.add(
          c.label() + " uses image \"" + std::string(image) + "\" with no tag, which means :latest",
          c.path("image"));
    }
  });
}

void check_image_digest(const PodView& pod, Findings& out) {
  visit_images(pod, [&](const ContainerRef& c, std::string_view image) {
    if (!is_sha256_digest(parse_image(image).digest)) {
      out.add(c.label() + " uses image \"" + std::string(image) +
                  "\" not pinned by digest (@sha256:...)",
              c.path("image"));
    }
  });
}

// Whether a resource quantity is zero, or not one at all, as ParseQuantity
// (k8s.io/apimachinery resource/quantity.go) reads it after UnmarshalJSON trimmed it: a sign,
// digits with at most one point (none at all is 0: ".", "m", "Mi" and "E" are zero), then a
// binary or decimal suffix or an exponent. The kubelet takes a zero limit for none (IsZero in
// ResourceConfigForPod: no cgroup limit), and a zero request reserves nothing; a string the API
// server would refuse counts as no quantity.
bool zero_or_invalid_quantity(std::string_view q) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  while (!q.empty() && kSpace.find(q.front()) != std::string_view::npos) q.remove_prefix(1);
  while (!q.empty() && kSpace.find(q.back()) != std::string_view::npos) q.remove_suffix(1);
  if (!q.empty() && (q[0] == '+' || q[0] == '-')) q.remove_prefix(1);
  bool nonzero = false, point = false;
  std::size_t i = 0;
  for (; i < q.size(); ++i) {
    if (q[i] == '.' && !point) {
      point = true;
    } else if (q[i] >= '0' && q[i] <= '9') {
      nonzero = nonzero || q[i] != '0';
    } else {
      break;
    }
  }
  const std::string_view suffix = q.substr(i);
  static constexpr std::string_view kSuffixes[] = {"",  "n", "u",  "m",  "k",  "M",  "G",  "T",
                                                   "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  bool valid = std::find(std::begin(kSuffixes), std::end(kSuffixes), suffix) != std::end(kSuffixes);
  if (!valid && suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view exponent = suffix.substr(1);
    if (exponent[0] == '+' || exponent[0] == '-') exponent.remove_prefix(1);
    valid = !exponent.empty() && exponent.find_first_not_of("0123456789") == std::string_view::npos;
  }
  return !valid || !nonzero;
}

// A request or limit as the defaulting reads it: whether the key is there (a zero counts), and
// whether it is more than zero.
struct Quantity {
  bool present = false;
  bool nonzero = false;
};

Quantity quantity_at(const Value& owner, std::string_view field, std::string_view resource) {
  const Value* v = owner.find({"resources", field, resource});
  if (v == nullptr) return {};
  // A null keeps its key (Quantity's UnmarshalJSON makes it 0), so no request is defaulted
  // into it from the limit.
  if (v->is_null()) return {true, false};
  return {true, !zero_or_invalid_quantity(v->str())};
}

// A container's `field` once the API server has defaulted it: a request it lacks is its limit
// (SetDefaults_Pod; pod templates are judged as the pods they become).
Quantity container_quantity(const Value& container, std::string_view field,
                            std::string_view resource) {
  const Quantity q = quantity_at(container, field, resource);
  return q.present || field != "requests" ? q : quantity_at(container, "limits", resource);
}

// The pod's own spec.resources.<field>.<resource> once defaulted by Kubernetes 1.37's
// DefaultPodLevelResources (pkg/api/pod/util.go, PodLevelResourcesFixDefaulting on by default),
// when the pod sets any request or limit: a request it lacks is its containers' requests
// aggregated where any has one, else its own limit; then a limit it lacks, where it has a request
// and every container a limit, is the larger of that request and the containers' limits (so a
// container's zero limit can leave the pod bounded). 1.34 to 1.36 defaulted less.
// `stored`: a Pod as the API server stored it, whose defaulting (if any: pods from before 1.37,
// with PodLevelResourcesFixDefaulting off, or static pods had none) is already in it: nothing is
// derived.
Quantity pod_quantity(const PodView& pod, std::string_view field, std::string_view resource,
                      bool stored) {
  if (stored) return quantity_at(pod.spec, field, resource);
  auto non_empty = [&](std::string_view f) {
    const Value* v = pod.spec.find({"resources", f});
    return v != nullptr && v->is_mapping() && !v->members.empty();
  };
  if (!non_empty("requests") && !non_empty("limits")) return {};
  Quantity request = quantity_at(pod.spec, "requests", resource);
  Quantity requests, limits;  // aggregated over the containers
  bool every_limit = true, any_container = false;
  visit_containers(pod, [&](const ContainerRef& c) {
    if (c.list == "ephemeralContainers") return;  // no resources, no part in defaulting
    any_container = true;
    const Quantity r = container_quantity(c.node, "requests", resource);
    const Quantity l = quantity_at(c.node, "limits", resource);
    requests = {requests.present || r.present, requests.nonzero || r.nonzero};
    limits.nonzero = limits.nonzero || l.nonzero;
    every_limit = every_limit && l.present;
  });
  if (!request.present)
    request = requests.present ? requests : quantity_at(pod.spec, "limits", resource);
  if (field == "requests") return request;
  Quantity limit = quantity_at(pod.spec, "limits", resource);
  if (!limit.present && request.present && every_limit && any_container) {
    limit = {true, request.nonzero || limits.nonzero};
  }
  return limit;
}

bool declares_resource(const Value& container, std::string_view field, std::string_view resource) {
  return container_quantity(container, field, resource).nonzero;
}

// Whether the pod cgroup is bounded (limits) or reserved (requests) by the pod's own resources:
// the kubelet takes the pod's request where there is one, and a pod limit above zero.
bool pod_declares_resource(const PodView& pod, std::string_view field, std::string_view resource,
                           bool stored) {
  return pod_quantity(pod, field, resource, stored).nonzero;
}

// A resource is bounded (limits) or reserved (requests) when the pod cgroup is: by the pod's own
// spec.resources, or by every container's (the kubelet sums them into the pod cgroup only when
// all set one).
void check_resources(const PodView& pod, std::string_view field, bool stored, Findings& out) {
  for (std::string_view resource : {"cpu", "memory"}) {
    if (pod_declares_resource(pod, field, resource, stored)) continue;
    const std::string f = "resources." + std::string(field) + "." + std::string(resource);
    visit_containers(pod, [&](const ContainerRef& c) {
      // Ephemeral containers cannot declare resources, so they cannot be held to this.
      if (c.list == "ephemeralContainers" || declares_resource(c.node, field, resource)) return;
      out.add(c.label() + " must set " + f + ", or the pod spec." + f, c.path(f));
    });
  }
}

void check_automount_token(const PodView& pod, std::optional<bool> account, Findings& out) {
  const std::string path = pod.spec_path + ".automountServiceAccountToken";
  if (const Value* v = pod.spec.find("automountServiceAccountToken"); v != nullptr) {
    if (v->as_bool() != false) out.add("pod must set automountServiceAccountToken=false", path);
    return;  // the pod's own setting wins over its account's
  }
  if (account == false) return;
  out.add(account == true ? "pod must set automountServiceAccountToken=false (its ServiceAccount "
                            "sets automountServiceAccountToken=true)"
                          : "pod must set automountServiceAccountToken=false, or its "
                            "ServiceAccount must",
          path);
}

}  // namespace bulwark::posture::detail
