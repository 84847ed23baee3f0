// The admission decision and the AdmissionReview format: what is judged, what is refused and how
// the refusal reads, what is only warned about, and what passes unjudged.
#include "app/admission/decide.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "operator/document/reader.h"
#include "reconcilers/input_access.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::admission {
namespace {

std::string policy_json(const std::string& name, const std::string& spec) {
  return R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":")" +
         name + R"(","uid":"uid-)" + name + R"(","generation":1},"spec":)" + spec + "}";
}

const char* const kDenyTeamA =
    R"({"match":{"namespaceSelector":{"matchLabels":{"team":"a"}}},"podSecurity":{"level":"baseline"},
        "images":{"forbidLatestTag":false},"enforcement":{"mode":"Enforce","actions":["Deny"]}})";
const char* const kAuditEverywhere =
    R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false}})";

std::string deployment(bool privileged, int replicas = 1, const std::string& label = "web") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":")" +
         label + R"("}},"spec":{"replicas":)" + std::to_string(replicas) +
         R"(,"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/app:1","securityContext":{"privileged":)" +
         (privileged ? "true" : "false") + "}}]}}}}";
}

Review review(const std::string& operation, const std::string& kind, const std::string& object,
              const std::string& old_object = "", const std::string& sub_resource = "") {
  Review r;
  r.uid = "u-1";
  r.kind = kind;
  r.operation = operation;
  r.sub_resource = sub_resource;
  r.namespace_name = "shop";
  r.name = "web";
  r.object = document::parse_json(object);
  if (!old_object.empty()) r.old_object = document::parse_json(old_object);
  return r;
}

class DecideTest : public ::testing::Test {
 protected:
  Decision decide_with(const std::vector<std::string>& specs, const Review& r,
                       const crds::Labels* labels, const reconcilers::RbacIndex* rbac = nullptr) {
    testing::FakeCache cache;
    int i = 0;
    for (const auto& s : specs) cache.put_json(policy_json("p" + std::to_string(i++), s));
    policies = reconcilers::load_policies(cache);
    Context c{&policies, labels, {"bulwark-system"}, std::chrono::system_clock::now(), rbac};
    return decide(r, c);
  }
  std::vector<reconcilers::LoadedPolicy> policies;
  crds::Labels team_a{{"team", "a"}};
};

TEST_F(DecideTest, AViolatingWorkloadUnderDenyIsRefusedWithWhatToChange) {
  const auto d =
      decide_with({kDenyTeamA}, review("CREATE", "Deployment", deployment(true)), &team_a);
  EXPECT_EQ(d.outcome, Decision::Outcome::kDenied);
  EXPECT_NE(d.message.find("Deployment shop/web"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("\n- privileged (spec.template.spec.containers[0].securityContext."
                           "privileged)"),
            std::string::npos)
      << d.message;
  EXPECT_EQ(d.message.find("p0"), std::string::npos) << d.message;  // no policy name
}

// However many findings, the answer holds at most 50 lines and says how many more there were.
TEST_F(DecideTest, TheAnswerIsBoundedWhateverTheObject) {
  std::string containers;
  for (int i = 0; i < 500; ++i) {
    containers += std::string(i > 0 ? "," : "") + R"({"name":"c)" + std::to_string(i) +
                  R"(","image":"r.example.com/a:1","securityContext":{"privileged":true}})";
  }
  const std::string pod =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[)" +
      containers + "]}}";
  const auto d = decide_with({kDenyTeamA}, review("CREATE", "Pod", pod), &team_a);
  EXPECT_EQ(d.outcome, Decision::Outcome::kDenied);
  EXPECT_EQ(std::count(d.message.begin(), d.message.end(), '\n'), 52) << d.message;  // 51 + advice
  EXPECT_NE(d.message.find("\n- and 15 more"), std::string::npos) << d.message;
}

// The same RBAC verdict at admission as in scan and at run time: a workload whose account is bound
// to cluster-admin is refused, naming the control but not the binding (whoever posts the review
// may not read bindings).
TEST_F(DecideTest, AWorkloadWhoseAccountIsClusterAdminIsRefusedWithoutNamingTheBinding) {
  testing::FakeCache bindings;
  bindings.put_json(R"({"metadata":{"name":"web-admin"},
      "roleRef":{"kind":"ClusterRole","name":"cluster-admin"},
      "subjects":[{"kind":"ServiceAccount","name":"default","namespace":"shop"}]})");
  reconcilers::RbacIndex rbac;
  rbac.apply("clusterrolebindings", "web-admin", bindings);
  const std::string spec =
      R"({"podSecurity":{"level":"privileged"},"images":{"forbidLatestTag":false},
          "permissions":{"forbid":["rbacClusterAdmin"]},"enforcement":{"mode":"Enforce","actions":["Deny"]}})";
  const auto d =
      decide_with({spec}, review("CREATE", "Deployment", deployment(false)), &team_a, &rbac);
  EXPECT_EQ(d.outcome, Decision::Outcome::kDenied);
  EXPECT_NE(d.message.find("\n- rbacClusterAdmin"), std::string::npos) << d.message;
  EXPECT_EQ(d.message.find("web-admin"), std::string::npos) << d.message;
  EXPECT_EQ(d.message.find("cluster-admin"), std::string::npos) << d.message;
  // Without the index the RBAC controls are not evaluated: admitted, and said so, never a pass.
  const auto unknown =
      decide_with({spec}, review("CREATE", "Deployment", deployment(false)), &team_a);
  EXPECT_EQ(unknown.outcome, Decision::Outcome::kWarned);
  ASSERT_EQ(unknown.warnings.size(), 1u);
  EXPECT_NE(unknown.warnings[0].find("rbacClusterAdmin: not evaluated"), std::string::npos)
      << unknown.warnings[0];
}

// The network controls are not judged at admission: they depend on NetworkPolicies and Services
// that may come after the workload (kubectl apply -f dir/), and a refusal there would stop a
// controller making its pods when a policy is edited. The operator judges them; admission neither
// refuses nor warns.
TEST_F(DecideTest, NetworkControlsAreLeftToTheOperator) {
  const std::string spec =
      R"({"podSecurity":{"level":"privileged"},"images":{"forbidLatestTag":false},
          "network":{"forbid":["networkIngressUnrestricted"]},
          "enforcement":{"mode":"Enforce","actions":["Deny"]}})";
  const auto d = decide_with({spec}, review("CREATE", "Deployment", deployment(false)), &team_a);
  EXPECT_EQ(d.outcome, Decision::Outcome::kAllowed);
  EXPECT_TRUE(d.warnings.empty());
  EXPECT_FALSE(judged_at_admission("networkExposedService"));
  EXPECT_TRUE(judged_at_admission("privileged"));
}

// Without Namespaces a policy that selects by namespace label is matched against labels that may
// be stale: the object is judged with them, and the answer says so.
TEST_F(DecideTest, ANamespaceSelectorMatchedAgainstStaleLabelsIsSaid) {
  bool refused = false;
  reconcilers::InputAccess access(
      {{reconcilers::ControlInput::kNamespaces, nullptr}},
      [&](const std::string&, const kube::ResourceType&) { return std::optional<bool>(!refused); });
  testing::FakeCache cache;
  cache.put_json(policy_json("p0", kDenyTeamA));
  policies = reconcilers::load_policies(cache);
  Context c{&policies, &team_a, {"bulwark-system"}, std::chrono::system_clock::now(),
            nullptr,   &access};
  const auto r = review("CREATE", "Deployment", deployment(false));
  EXPECT_EQ(decide(r, c).outcome, Decision::Outcome::kAllowed);
  refused = true;
  access.refresh();
  const auto d = decide(r, c);
  EXPECT_EQ(d.outcome, Decision::Outcome::kWarned);
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_EQ(d.warnings[0],
            "Bulwark: namespaceSelector: not evaluated: Bulwark's ServiceAccount may not list "
            "namespaces (judged against the namespace's labels last read)");
  // A policy that would refuse cannot be applied on labels that may be stale: the failure policy
  // answers instead.
  try {
    decide(review("CREATE", "Deployment", deployment(true)), c);
    ADD_FAILURE() << "judged on labels that may be stale";
  } catch (const CannotJudge& e) {
    EXPECT_EQ(std::string(e.what()),
              "whether a SecurityPolicy in Enforce with Deny selects namespace shop is not known: "
              "Bulwark's ServiceAccount may not list namespaces (judged against the namespace's "
              "labels last read)");
  }
}

// The token verdict at admission reads the account too: a Deployment that leaves
// automountServiceAccountToken unset is admitted when its account says false.
TEST_F(DecideTest, ATokenThePodLeavesUnsetIsDecidedByItsAccount) {
  const std::string spec =
      R"({"podSecurity":{"level":"privileged"},"images":{"forbidLatestTag":false},
          "serviceAccount":{"forbidAutomountToken":true},"enforcement":{"mode":"Enforce","actions":["Deny"]}})";
  reconcilers::RbacIndex rbac;
  EXPECT_EQ(decide_with({spec}, review("CREATE", "Deployment", deployment(false)), &team_a, &rbac)
                .outcome,
            Decision::Outcome::kDenied);
  testing::FakeCache accounts;
  accounts.put_json(
      R"({"metadata":{"name":"default","namespace":"shop"},"automountServiceAccountToken":false})");
  rbac.apply("serviceaccounts", "shop/default", accounts);
  EXPECT_EQ(decide_with({spec}, review("CREATE", "Deployment", deployment(false)), &team_a, &rbac)
                .outcome,
            Decision::Outcome::kAllowed);
}

TEST_F(DecideTest, InAuditOrWithoutDenyItIsAdmittedWithWarnings) {
  const auto audit =
      decide_with({kAuditEverywhere}, review("CREATE", "Deployment", deployment(true)), &team_a);
  EXPECT_EQ(audit.outcome, Decision::Outcome::kWarned);
  ASSERT_EQ(audit.warnings.size(), 1u);
  EXPECT_NE(audit.warnings[0].find("privileged"), std::string::npos);
  const std::string enforce_no_deny =
      R"({"podSecurity":{"level":"baseline"},"enforcement":{"mode":"Enforce","actions":["Annotate","Quarantine"]}})";
  EXPECT_EQ(
      decide_with({enforce_no_deny}, review("CREATE", "Deployment", deployment(true)), &team_a)
          .outcome,
      Decision::Outcome::kWarned);
}

TEST_F(DecideTest, ACompliantOrUnselectedObjectIsAllowedQuietly) {
  EXPECT_EQ(
      decide_with({kDenyTeamA}, review("CREATE", "Deployment", deployment(false)), &team_a).outcome,
      Decision::Outcome::kAllowed);
  const crds::Labels team_b{{"team", "b"}};
  EXPECT_EQ(
      decide_with({kDenyTeamA}, review("CREATE", "Deployment", deployment(true)), &team_b).outcome,
      Decision::Outcome::kAllowed);
  // A namespace not in the cache yet: whether a Deny policy's selector takes it is not known, so
  // the failure policy answers (CannotJudge); a policy that only warns says so.
  EXPECT_THROW(decide_with({kDenyTeamA}, review("CREATE", "Deployment", deployment(true)), nullptr),
               CannotJudge);
  const auto unknown = decide_with({kAuditEverywhere, R"({"match":{"namespaceSelector":)"
                                                      R"({"matchLabels":{"team":"a"}}}})"},
                                   review("CREATE", "Deployment", deployment(false)), nullptr);
  ASSERT_EQ(unknown.warnings.size(), 1u);
  EXPECT_EQ(unknown.warnings[0],
            "Bulwark: namespaceSelector: not evaluated: namespace shop is not in Bulwark's cache "
            "yet");
  EXPECT_EQ(decide_with({}, review("CREATE", "Deployment", deployment(true)), &team_a).outcome,
            Decision::Outcome::kAllowed);
}

TEST_F(DecideTest, AnExemptedWorkloadPasses) {
  const std::string exempt =
      R"({"podSecurity":{"level":"baseline"},"enforcement":{"mode":"Enforce","actions":["Deny"]},
          "exemptions":[{"name":"legacy","workloadSelector":{"matchLabels":{"app":"web"}},"reason":"migrating"}]})";
  EXPECT_NE(
      decide_with({exempt}, review("CREATE", "Deployment", deployment(true)), &team_a).outcome,
      Decision::Outcome::kDenied);
}

TEST_F(DecideTest, AnUpdateThatLeavesThePodTemplateAloneIsNeverRefused) {
  const auto scale = review("UPDATE", "Deployment", deployment(true, 0), deployment(true, 3));
  EXPECT_EQ(decide_with({kDenyTeamA}, scale, &team_a).outcome, Decision::Outcome::kAllowed);
  const auto relabel =
      review("UPDATE", "Deployment", deployment(true, 1, "other"), deployment(true));
  EXPECT_EQ(decide_with({kDenyTeamA}, relabel, &team_a).outcome, Decision::Outcome::kAllowed);
  const auto harden = review("UPDATE", "Deployment", deployment(true), deployment(false));
  EXPECT_EQ(decide_with({kDenyTeamA}, harden, &team_a).outcome, Decision::Outcome::kDenied);
  const auto scale_subresource =
      review("UPDATE", "Deployment", deployment(true), deployment(false), "scale");
  EXPECT_EQ(decide_with({kDenyTeamA}, scale_subresource, &team_a).outcome,
            Decision::Outcome::kAllowed);
}

const char* const kPod =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
        "spec":{"containers":[{"name":"app","image":"registry.example.com/app:1"}]}})";
const char* const kPodWithPrivilegedDebugger =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web"}},
        "spec":{"containers":[{"name":"app","image":"registry.example.com/app:1"}],
                "ephemeralContainers":[{"name":"debugger","image":"busybox:1","securityContext":{"privileged":true}}]}})";
const char* const kQuarantinedPod =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","labels":{"app":"web","bulwark.dev/quarantine":"true"}},
        "spec":{"containers":[{"name":"app","image":"registry.example.com/app:1","securityContext":{"privileged":true}}]}})";

TEST_F(DecideTest, APrivilegedEphemeralContainerIsRefused) {
  const auto debug =
      review("UPDATE", "Pod", kPodWithPrivilegedDebugger, kPod, "ephemeralcontainers");
  const auto d = decide_with({kDenyTeamA}, debug, &team_a);
  EXPECT_EQ(d.outcome, Decision::Outcome::kDenied);
  EXPECT_NE(d.message.find("ephemeralContainers"), std::string::npos) << d.message;
}

TEST_F(DecideTest, APodLabelChangeSuchAsTheQuarantineLabelPasses) {
  const std::string before = kQuarantinedPod;
  std::string after = before;
  const std::string label = R"(,"bulwark.dev/quarantine":"true")";
  after.erase(after.find(label), label.size());
  EXPECT_EQ(decide_with({kDenyTeamA}, review("UPDATE", "Pod", after, before), &team_a).outcome,
            Decision::Outcome::kAllowed);
  EXPECT_EQ(decide_with({kDenyTeamA}, review("CREATE", "Pod", kQuarantinedPod), &team_a).outcome,
            Decision::Outcome::kDenied);  // a violating pod is refused whoever creates it
}

TEST_F(DecideTest, NeverTouchedNamespacesOtherKindsAndDeletesAreNotJudged) {
  auto own = review("CREATE", "Deployment", deployment(true));
  own.namespace_name = "bulwark-system";
  EXPECT_EQ(decide_with({kAuditEverywhere}, own, &team_a).outcome, Decision::Outcome::kAllowed);
  EXPECT_EQ(decide_with({kAuditEverywhere},
                        review("CREATE", "ConfigMap", R"({"kind":"ConfigMap"})"), &team_a)
                .outcome,
            Decision::Outcome::kAllowed);
  auto del = review("DELETE", "Deployment", "{}", deployment(true));
  del.object = document::Value();
  EXPECT_EQ(decide_with({kAuditEverywhere}, del, &team_a).outcome, Decision::Outcome::kAllowed);
}

TEST(Review, ParsesAnAdmissionReviewAndRefusesWhatIsNot) {
  const auto r = parse_review(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"abc",
          "kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"shop",
          "name":"web","userInfo":{"username":"alice"},"object":{"kind":"Deployment"}}})");
  EXPECT_EQ(r.uid, "abc");
  EXPECT_EQ(r.kind, "Deployment");
  EXPECT_EQ(r.operation, "CREATE");
  EXPECT_EQ(r.user, "alice");
  EXPECT_TRUE(r.object.is_mapping());
  auto error = [](const std::string& body) {
    try {
      parse_review(body);
    } catch (const BadReview& e) {
      return std::string(e.what());
    }
    return std::string("(parsed)");
  };
  EXPECT_NE(error("not json").find("not JSON"), std::string::npos);
  EXPECT_NE(error("[]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error(R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"})")
                .find("admission.k8s.io/v1beta1"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})").find("no request"),
      std::string::npos);
  EXPECT_NE(
      error(
          R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"},"operation":"CREATE"}})")
          .find("no uid"),
      std::string::npos);
  EXPECT_NE(
      error(
          R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},"operation":"CREATE"}})")
          .find("no object"),
      std::string::npos);
}

TEST(Review, TheResponseCarriesTheUidTheVerdictAndTheWarnings) {
  Decision refuse;
  refuse.outcome = Decision::Outcome::kDenied;
  refuse.message = "no \"privileged\"";
  refuse.warnings = {"w1"};
  const auto v = document::parse_json(review_response("abc", refuse));
  EXPECT_EQ(v.find({"response", "uid"})->str(), "abc");
  EXPECT_EQ(v.find({"response", "allowed"})->as_bool(), false);
  EXPECT_EQ(v.find({"response", "status", "code"})->as_int(), 403);
  EXPECT_EQ(v.find({"response", "status", "message"})->str(), "no \"privileged\"");
  EXPECT_EQ(v.find({"response", "warnings"})->items.size(), 1u);
  const auto admit = document::parse_json(review_response("abc", Decision{}));
  EXPECT_EQ(admit.find({"response", "allowed"})->as_bool(), true);
  EXPECT_EQ(admit.find({"response", "status"}), nullptr);
}

}  // namespace
}  // namespace bulwark::admission
