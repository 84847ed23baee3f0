// The one classification of API failures, and the Status bodies errors are read from.
#include "operator/kube/api_error.h"

#include <gtest/gtest.h>

namespace bulwark::kube {
namespace {

TEST(ErrorClass, OnePlaceClassifies) {
  EXPECT_EQ(classify_status(409), ErrorClass::kConflict);
  EXPECT_EQ(classify_status(410), ErrorClass::kGone);
  EXPECT_EQ(classify_status(429), ErrorClass::kRetryable);
  EXPECT_EQ(classify_status(500), ErrorClass::kRetryable);
  EXPECT_EQ(classify_status(503), ErrorClass::kRetryable);
  EXPECT_EQ(classify_status(403), ErrorClass::kForbidden);
  EXPECT_EQ(classify_status(422), ErrorClass::kInvalid);
}

TEST(ErrorClass, EveryStatusHasAClassAndNotFoundIsItsOwn) {
  EXPECT_EQ(classify_status(404), ErrorClass::kNotFound);
  EXPECT_EQ(classify_status(400), ErrorClass::kInvalid);
  EXPECT_EQ(classify_status(401), ErrorClass::kUnauthorized);
  EXPECT_EQ(ApiError(0, "ConnectionFailed", "reset").error_class(), ErrorClass::kRetryable);
}

TEST(ApiError, ReadsTheStatusBodyAndFallsBackToTheRawBody) {
  const auto e = ApiError::from_response(
      409, R"({"kind":"Status","reason":"Conflict","message":"the object has been modified"})",
      "PUT /x");
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(e.reason(), "Conflict");
  EXPECT_NE(std::string(e.what()).find("the object has been modified"), std::string::npos);
  const auto raw = ApiError::from_response(502, "<html>bad gateway</html>", "GET /y");
  EXPECT_EQ(raw.error_class(), ErrorClass::kRetryable);
  EXPECT_NE(std::string(raw.what()).find("bad gateway"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::kube
