// The e2e tests' check that a scenario of a nu program succeeded: its main
// node exits 0 within a deadline after printing "OK <name>".
#pragma once

#include "Process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

namespace nu::e2e {

inline void expect_scenario_ok(Process &main, const std::string &name,
                               std::chrono::seconds timeout) {
  auto status = main.wait(timeout);
  ASSERT_TRUE(status) << "main node still running after " << timeout.count()
                      << " s";
  EXPECT_TRUE(status->exited_with(0)) << status->describe() << "; stderr:\n"
                                      << main.text(Stream::err);
  EXPECT_TRUE(main.wait_for_line(Stream::out, std::regex("^OK " + name + "$"),
                                 std::chrono::milliseconds(0)))
      << "no 'OK " << name << "' line";
}

} // namespace nu::e2e
