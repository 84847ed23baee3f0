#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "operator/server/access_filter.h"

namespace bulwark::testing {

// server::AccessReviewer from two tables: tokens to users, and "user verb path" allowed. Counts
// the reviews asked; `fail` makes every review throw, as an unreachable API server would.
class FakeAccessReviewer : public server::AccessReviewer {
 public:
  std::map<std::string, std::string> users;  // token -> user name
  std::set<std::string> allowed;             // "user verb path"
  bool fail = false;
  int authentications = 0, authorizations = 0;

  std::optional<server::User> authenticate(const std::string& token) override {
    ++authentications;
    if (fail) throw std::runtime_error("the API server is away");
    auto it = users.find(token);
    if (it == users.end()) return std::nullopt;
    return server::User{it->second, "uid-" + it->second, {"system:authenticated"}};
  }
  bool authorize(const server::User& user, const std::string& verb,
                 const std::string& path) override {
    ++authorizations;
    if (fail) throw std::runtime_error("the API server is away");
    return allowed.count(user.name + " " + verb + " " + path) > 0;
  }
};

}  // namespace bulwark::testing
