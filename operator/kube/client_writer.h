#pragma once

#include "operator/kube/client.h"
#include "operator/kube/object_writer.h"

namespace bulwark::kube {

// ObjectWriter and StatusWriter over the KubeClient: bodies written as JSON, 404 reported as the
// interfaces say (the one place a write's not-found is handled), every write held behind the
// fence when there is one (leader election), and bounded by the time it has left.
class ClientWriter final : public ObjectWriter, public StatusWriter {
 public:
  explicit ClientWriter(KubeClient& client, const WriteFence* fence = nullptr)
      : client_(client), fence_(fence) {}

  document::Value create(const ResourceType& type, const std::string& ns,
                         const document::Value& object) override;
  std::optional<document::Value> merge_patch(const ResourceType& type, const std::string& ns,
                                             const std::string& name,
                                             const MergePatch& patch) override;
  document::Value apply(const ResourceType& type, const std::string& ns, const std::string& name,
                        const document::Value& intent, const std::string& field_manager,
                        bool force) override;
  bool remove(const ResourceType& type, const std::string& ns, const std::string& name,
              const Preconditions& preconditions) override;
  std::optional<document::Value> update_status(const ResourceType& type, const std::string& ns,
                                               const std::string& name,
                                               const document::Value& object) override;

 private:
  // The bound for the next write; throws NotLeadingError when the fence is closed.
  KubeClient::Timeout admit(std::string_view what) const;

  KubeClient& client_;
  const WriteFence* fence_;
};

}  // namespace bulwark::kube
