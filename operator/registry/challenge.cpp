// WWW-Authenticate challenges and URLs as the registry client reads them (challenge.h).
#include "operator/registry/challenge.h"

#include <algorithm>
#include <cctype>

#include "operator/kube/cluster_config.h"

namespace bulwark::registry {
namespace {

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}

void skip_spaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string take_token(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && token_char(s[n])) ++n;
  std::string out(s.substr(0, n));
  s.remove_prefix(n);
  return out;
}

// A quoted-string after its opening quote; nullopt when it never closes.
std::optional<std::string> take_quoted(std::string_view& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out.push_back(s[++i]);
    } else if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return out;
    } else {
      out.push_back(s[i]);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string Challenge::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return "";
}

std::optional<Challenge> parse_challenge(std::string_view header) {
  skip_spaces(header);
  Challenge c;
  c.scheme = lower(take_token(header));
  if (c.scheme.empty()) return std::nullopt;
  skip_spaces(header);
  while (!header.empty()) {
    std::string name = lower(take_token(header));
    skip_spaces(header);
    if (name.empty() || header.empty() || header.front() != '=') {
      // Another challenge begins (or junk): the first one ends here.
      break;
    }
    header.remove_prefix(1);
    skip_spaces(header);
    std::string value;
    if (!header.empty() && header.front() == '"') {
      header.remove_prefix(1);
      auto quoted = take_quoted(header);
      if (!quoted) return std::nullopt;
      value = std::move(*quoted);
    } else {
      value = take_token(header);
    }
    c.params.emplace_back(std::move(name), std::move(value));
    skip_spaces(header);
    if (header.empty()) break;
    if (header.front() != ',') return std::nullopt;
    header.remove_prefix(1);
    skip_spaces(header);
  }
  return c;
}

std::optional<Url> parse_url(std::string_view text) {
  // RFC 3986's characters only: a Location or realm with others is no URL a request may take.
  if (text.empty() || std::any_of(text.begin(), text.end(), [](unsigned char c) {
        return !std::isalnum(c) &&
               std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(char(c)) == std::string_view::npos;
      })) {
    return std::nullopt;
  }
  if (text.front() == '/') {
    if (text.size() > 1 && text[1] == '/') return std::nullopt;  // scheme-relative
    return Url{"", "", std::string(text)};
  }
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  text.remove_prefix(sep + 3);
  const auto end = std::min(text.find('/'), text.find('?'));
  url.host = lower(text.substr(0, end));
  if (url.host.empty() || url.host.find('@') != std::string::npos) return std::nullopt;
  url.path = end == std::string_view::npos ? "/" : std::string(text.substr(end));
  if (url.path.front() == '?') url.path = "/" + url.path;
  return url;
}

std::string query_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace bulwark::registry

namespace bulwark::registry {

std::string basic_authorization(std::string_view username, std::string_view password) {
  return "Basic " + kube::base64_encode(std::string(username) + ":" + std::string(password));
}

}  // namespace bulwark::registry
