#include "app/admission/certificate_source.h"

#include <filesystem>

#include "operator/kube/cluster_config.h"
#include "operator/logging/logging.h"

namespace bulwark::admission {

namespace fs = std::filesystem;

namespace {

// A certificate or key of the folder; empty is not yet written (a rotation in progress), an error.
std::string read_pem(const fs::path& path) {
  return kube::read_config_file(path.string(), "", kube::EmptyFile::kRefuse);
}

// When the folder's files last changed ("" when any is missing): a rotation changes it.
std::string stamp(const std::string& dir) {
  std::string out;
  for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
    std::error_code ec;
    const auto t = fs::last_write_time(fs::path(dir) / name, ec);
    if (ec) return "";
    out += std::to_string(t.time_since_epoch().count()) + ",";
  }
  return out;
}

class FolderCertificates : public CertificateSource {
 public:
  explicit FolderCertificates(std::string dir) : dir_(std::move(dir)) {}

  std::optional<WebhookCertificate> load() override {
    // Stamped before reading: files that change while they are read are read again next time.
    const std::string stamped = stamp(dir_);
    if (stamped.empty()) {
      logging::warn("admission: " + dir_ +
                    " has no tls.crt, tls.key and ca.crt yet: not ready until they appear");
      return std::nullopt;
    }
    const fs::path dir(dir_);
    return WebhookCertificate{
        {read_pem(dir / "tls.crt"), read_pem(dir / "tls.key")}, read_pem(dir / "ca.crt"), stamped};
  }
  bool may_have_changed(const std::string& version) override { return stamp(dir_) != version; }
  std::string describe() const override { return dir_; }

 private:
  std::string dir_;
};

class KeptCertificates : public CertificateSource {
 public:
  KeptCertificates(std::unique_ptr<CertificateKeeper> keeper, std::string secret_name)
      : keeper_(std::move(keeper)), secret_name_(std::move(secret_name)) {}

  std::optional<WebhookCertificate> load() override { return keeper_->ensure(); }
  // ensure() also renews what is due, so it is asked every time.
  bool may_have_changed(const std::string&) override { return true; }
  std::string describe() const override { return "Secret " + secret_name_; }

 private:
  std::unique_ptr<CertificateKeeper> keeper_;
  std::string secret_name_;
};

}  // namespace

std::unique_ptr<CertificateSource> folder_certificates(std::string dir) {
  return std::make_unique<FolderCertificates>(std::move(dir));
}

std::unique_ptr<CertificateSource> kept_certificates(std::unique_ptr<CertificateKeeper> keeper,
                                                     std::string secret_name) {
  return std::make_unique<KeptCertificates>(std::move(keeper), std::move(secret_name));
}

}  // namespace bulwark::admission
