// `bulwark run`'s flags and how they override the config file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/run.h"

namespace bulwark::cli {
namespace {

std::string config_file(const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("bulwark-run-flags-" + std::to_string(getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(RunFlags, LeaderElectFalseTurnsOffTheConfigFilesTrue) {
  std::ostringstream err;
  auto flags = parse_run_args(
      {"--config", config_file("leaderElection: {enabled: true}\n"), "--leader-elect=false"}, err);
  ASSERT_TRUE(flags) << err.str();
  auto cfg = load_config(*flags, err);
  std::filesystem::remove(flags->config_file);
  ASSERT_TRUE(cfg) << err.str();
  EXPECT_FALSE(cfg->leader_election.enabled);
}

TEST(RunFlags, LeaderElectBareOrTrueTurnsItOn) {
  for (const char* flag : {"--leader-elect", "--leader-elect=true"}) {
    std::ostringstream err;
    auto flags = parse_run_args({flag}, err);
    ASSERT_TRUE(flags) << err.str();
    auto cfg = load_config(*flags, err);
    ASSERT_TRUE(cfg) << err.str();
    EXPECT_TRUE(cfg->leader_election.enabled) << flag;
  }
}

TEST(RunFlags, WithoutTheFlagTheConfigFileDecides) {
  std::ostringstream err;
  auto flags = parse_run_args({"--config", config_file("leaderElection: {enabled: true}\n")}, err);
  ASSERT_TRUE(flags);
  auto cfg = load_config(*flags, err);
  std::filesystem::remove(flags->config_file);
  ASSERT_TRUE(cfg) << err.str();
  EXPECT_TRUE(cfg->leader_election.enabled);
}

TEST(RunFlags, LeaderElectRefusesAnythingButTrueOrFalse) {
  std::ostringstream err;
  EXPECT_FALSE(parse_run_args({"--leader-elect=no"}, err));
  EXPECT_NE(err.str().find("--leader-elect takes =true or =false"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace bulwark::cli
