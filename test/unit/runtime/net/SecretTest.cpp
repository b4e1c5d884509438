// Reading the cluster secret: from a flag's file or NU_SECRET_FILE's, and
// every file that must be refused, with a reason that says what to do.
#include "nu/net/secret.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace nu::net {
namespace {

namespace fs = std::filesystem;

/// A file in a fresh directory, removed with it.
class SecretFile : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nu-secret-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "secret").string();
  }
  void TearDown() override {
    ::unsetenv(kSecretFileVariable);
    fs::remove_all(dir_);
  }
  void write(const std::string &bytes, mode_t mode = 0600) {
    std::ofstream(path_, std::ios::trunc) << bytes;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }
  std::string text(const std::shared_ptr<const Secret> &secret) {
    auto bytes = secret->bytes();
    return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(SecretFile, IsReadWithoutItsTrailingNewline) {
  write("0123456789abcdef0123\n");
  auto secret = read_secret_file(path_);
  ASSERT_TRUE(secret) << secret.failure().message;
  EXPECT_EQ(text(*secret), "0123456789abcdef0123");
}

TEST_F(SecretFile, ReadableByGroupOrOthersIsRefusedWithTheFix) {
  for (mode_t mode : {0640, 0604, 0620, 0666}) {
    write("0123456789abcdef0123", mode);
    auto secret = read_secret_file(path_);
    ASSERT_FALSE(secret) << std::oct << mode;
    EXPECT_EQ(secret.failure().code, std::errc::permission_denied);
    EXPECT_NE(secret.failure().message.find("chmod 600 " + path_),
              std::string::npos)
        << secret.failure().message;
  }
}

TEST_F(SecretFile, TooShortMissingOrNotAFileIsRefused) {
  write("short\n");
  auto short_one = read_secret_file(path_);
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.failure().message.find("at least 16"), std::string::npos)
      << short_one.failure().message;
  auto missing = read_secret_file(path_ + ".missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().code, std::errc::no_such_file_or_directory);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  auto directory = read_secret_file(dir_.string());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.failure().message.find("not a regular file"),
            std::string::npos)
      << directory.failure().message;
}

TEST_F(SecretFile, TooLongIsRefused) {
  write(std::string(Secret::kMaxBytes + 2, 'x'));
  auto secret = read_secret_file(path_);
  ASSERT_FALSE(secret);
  EXPECT_EQ(secret.failure().code, std::errc::file_too_large);
}

TEST_F(SecretFile, TheFlagWinsOverTheEnvironmentWhichWinsOverNothing) {
  auto none = find_secret("");
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, nullptr);
  write("from the environment!");
  ::setenv(kSecretFileVariable, path_.c_str(), 1);
  auto from_environment = find_secret("");
  ASSERT_TRUE(from_environment);
  EXPECT_EQ(text(*from_environment), "from the environment!");
  auto from_flag = find_secret(path_ + ".missing");
  EXPECT_FALSE(from_flag) << "the flag's file is the one read";
}

} // namespace
} // namespace nu::net
