// Bulwark's own webhook CA and certificate in one Secret: made by the first replica, the winner's
// read on 409, renewed with a third of its life left, a new CA trusted beside the old one before
// anything it signed is served.
#include "app/admission/certificate_keeper.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "operator/kube/cluster_config.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::admission {
namespace {

using namespace std::chrono_literals;
using document::Value;

server::TlsMaterial ca(std::chrono::seconds validity = 24h) {
  return server::make_certificate({"test-ca", {}, validity, true}, nullptr);
}
server::TlsMaterial leaf(const server::TlsMaterial& issuer, std::chrono::seconds validity = 24h) {
  return server::make_certificate({"bulwark-webhook", {"127.0.0.1"}, validity, false}, &issuer);
}

std::string secret_json(const server::TlsMaterial& ca_now, const std::string& previous_ca,
                        const server::TlsMaterial& serving, const std::string& ca_added_at) {
  Value s = Value::object();
  s.child("metadata")
      .set("name", Value::string("bulwark-webhook-tls"))
      .set("resourceVersion", Value::string("41"));
  s.child("metadata")
      .child("annotations")
      .set("bulwark.dev/ca-added-at", Value::string(ca_added_at));
  Value& data = s.child("data");
  data.set("ca.crt", Value::string(kube::base64_encode(ca_now.cert_pem + previous_ca)));
  data.set("ca.key", Value::string(kube::base64_encode(ca_now.key_pem)));
  data.set("tls.crt", Value::string(kube::base64_encode(serving.cert_pem)));
  data.set("tls.key", Value::string(kube::base64_encode(serving.key_pem)));
  return document::to_json(s);
}

std::string decoded(const Value& secret, std::string_view key) {
  return kube::base64_decode(std::string(secret.find({"data", key})->str()));
}

class KeeperTest : public ::testing::Test {
 protected:
  KeeperTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    client = std::make_unique<kube::KubeClient>(std::move(t), kube::KubeClient::Options{1000, 1000},
                                                clock);
  }
  // The test's CAs live a day, as the keeper's own would here.
  CertificateKeeper keeper(std::chrono::seconds cert_validity = 12h) {
    return CertificateKeeper(
        {"bulwark-system", "bulwark-webhook-tls", {"127.0.0.1"}, 24h, cert_validity}, *client,
        clock);
  }
  Value written(std::size_t i) { return document::parse_json(transport->requests.at(i).body); }

  base::RealClock clock;  // certificates carry real times
  testing::FakeTransport* transport = nullptr;
  std::unique_ptr<kube::KubeClient> client;
  const std::string kNotFound = R"({"kind":"Status","reason":"NotFound","code":404})";
};

TEST_F(KeeperTest, TheFirstReplicaMakesACaAndACertificateItSigned) {
  transport->respond(404, kNotFound);
  transport->echo(201);
  const auto c = keeper().ensure();
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_EQ(transport->requests[1].method, "POST");
  EXPECT_TRUE(server::issued_by(c.serving.cert_pem, c.ca_bundle));
  EXPECT_FALSE(c.serving.key_pem.empty());
  const auto secret = written(1);
  EXPECT_EQ(secret.find({"metadata", "namespace"})->str(), "bulwark-system");
  EXPECT_FALSE(decoded(secret, "ca.key").empty());
}

TEST_F(KeeperTest, AReplicaThatLosesTheRaceServesTheWinners) {
  const auto winner_ca = ca();
  const auto winner_leaf = leaf(winner_ca);
  transport->respond(404, kNotFound);
  transport->respond(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  transport->respond(200, secret_json(winner_ca, "", winner_leaf, "0"));
  const auto c = keeper().ensure();
  EXPECT_EQ(c.serving.cert_pem, winner_leaf.cert_pem);
  EXPECT_EQ(c.ca_bundle, winner_ca.cert_pem);
  EXPECT_EQ(c.version, "41");
}

TEST_F(KeeperTest, AFreshCertificateIsServedAsItIsWithoutAWrite) {
  const auto the_ca = ca();
  const auto the_leaf = leaf(the_ca);
  transport->respond(200, secret_json(the_ca, "", the_leaf, "0"));
  const auto c = keeper().ensure();
  EXPECT_EQ(transport->requests.size(), 1u);
  EXPECT_EQ(c.serving.cert_pem, the_leaf.cert_pem);
}

TEST_F(KeeperTest, ACertificateWithAThirdOfItsLifeLeftIsRenewedFromTheSameCa) {
  const auto the_ca = ca();
  const auto old_leaf = leaf(the_ca, 10s);  // with a 30 s life, due from the start
  transport->respond(200, secret_json(the_ca, "", old_leaf, "0"));
  transport->echo(200);
  const auto c = keeper(30s).ensure();
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_EQ(transport->requests[1].method, "PUT");
  EXPECT_EQ(written(1).find({"metadata", "resourceVersion"})->str(), "41");  // a precondition
  EXPECT_NE(c.serving.cert_pem, old_leaf.cert_pem);
  EXPECT_TRUE(server::issued_by(c.serving.cert_pem, the_ca.cert_pem));
  EXPECT_EQ(c.ca_bundle, the_ca.cert_pem);
}

TEST_F(KeeperTest, ACaDueJoinsTheBundleBesideTheOldOneAndTheCertificateStays) {
  const auto old_ca = ca(10s);  // of a day's life, ten seconds left: due
  const auto the_leaf = leaf(old_ca);
  transport->respond(200, secret_json(old_ca, "", the_leaf, "0"));
  transport->echo(200);
  const auto c = keeper().ensure();
  EXPECT_EQ(c.serving.cert_pem, the_leaf.cert_pem);  // still served, still trusted
  EXPECT_NE(c.ca_bundle.find(old_ca.cert_pem), std::string::npos);
  EXPECT_EQ(c.ca_bundle.find(old_ca.cert_pem), c.ca_bundle.size() - old_ca.cert_pem.size());
  EXPECT_FALSE(server::issued_by(c.serving.cert_pem, c.ca_bundle));  // the first is the new CA
}

TEST_F(KeeperTest, OnlyOnceTheNewCaHasBeenTrustedLongEnoughIsACertificateIssuedByIt) {
  const auto old_ca = ca();
  const auto new_ca = ca();
  const auto old_leaf = leaf(old_ca);
  const std::string now = std::to_string(std::time(nullptr));
  transport->respond(200, secret_json(new_ca, old_ca.cert_pem, old_leaf, now));
  EXPECT_EQ(keeper().ensure().serving.cert_pem, old_leaf.cert_pem);  // too soon: no write
  EXPECT_EQ(transport->requests.size(), 1u);
  transport->respond(200, secret_json(new_ca, old_ca.cert_pem, old_leaf, "0"));
  transport->echo(200);
  const auto c = keeper().ensure();
  EXPECT_TRUE(server::issued_by(c.serving.cert_pem, new_ca.cert_pem));
  EXPECT_NE(c.ca_bundle.find(old_ca.cert_pem), std::string::npos);
}

TEST_F(KeeperTest, ARenewalThatLosesTheRaceServesTheOtherReplicasRenewal) {
  const auto the_ca = ca();
  const auto winner_leaf = leaf(the_ca);
  transport->respond(200, secret_json(the_ca, "", leaf(the_ca, 10s), "0"));
  transport->respond(409, R"({"kind":"Status","reason":"Conflict","code":409})");
  transport->respond(200, secret_json(the_ca, "", winner_leaf, "0"));
  EXPECT_EQ(keeper(30s).ensure().serving.cert_pem, winner_leaf.cert_pem);
}

}  // namespace
}  // namespace bulwark::admission
