// requirepass: none by default, a match only on every byte and the length,
// and a change seen by the next check.
#include "Password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(Password, NoneByDefaultAndNothingMatchesNone) {
  kv::Password password;
  EXPECT_FALSE(password.required());
  EXPECT_FALSE(password.matches(""));
  EXPECT_FALSE(password.matches("anything"));
}

TEST(Password, OnlyTheWholePasswordMatches) {
  kv::Password password;
  password.set("s3cret");
  EXPECT_TRUE(password.required());
  EXPECT_TRUE(password.matches("s3cret"));
  for (const char *wrong :
       {"", "s", "s3cre", "s3cret!", "S3cret", "s3creT", "x3cret"})
    EXPECT_FALSE(password.matches(wrong)) << wrong;
  EXPECT_FALSE(password.matches(std::string("s3cret\0", 7)));
}

TEST(Password, ChangesAndClears) {
  kv::Password password;
  password.set("old");
  password.set("new");
  EXPECT_FALSE(password.matches("old"));
  EXPECT_TRUE(password.matches("new"));
  EXPECT_EQ(password.get(), "new");
  password.set("");
  EXPECT_FALSE(password.required());
  EXPECT_FALSE(password.matches(""));
}

} // namespace
