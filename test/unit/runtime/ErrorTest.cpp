// How failures reach callers on both paths: callee exceptions as
// nu::RemoteError, destroyed proclets and deadlines as ProcletUnavailable,
// misuse as nu::Error.
#include "Cluster.hpp"
#include "TestProclets.hpp"

namespace nutest {
namespace {

using Errors = PathTest;

TEST_P(Errors, CalleeExceptionBecomesRemoteError) {
  auto c = nu::make_proclet<Counter>();
  try {
    c.Run(&Counter::Throw, "bad things");
    FAIL() << "no exception";
  } catch (const nu::RemoteError &e) {
    EXPECT_EQ(e.type_name(), "std::invalid_argument");
    EXPECT_STREQ(e.what(), "bad things");
  }
  try {
    c.Run(&Counter::ThrowCustom);
    FAIL() << "no exception";
  } catch (const nu::RemoteError &e) {
    EXPECT_EQ(e.type_name(), "nutest::CustomError");
  }
  auto f = c.RunAsync(+[](Counter &) -> int { throw std::out_of_range("x"); });
  EXPECT_THROW(f.get(), nu::RemoteError);
  EXPECT_EQ(c.Run(&Counter::Get), 0) << "the proclet still works";
}

TEST_P(Errors, ConstructorExceptionBecomesRemoteError) {
  try {
    nu::make_proclet<Fragile>(true);
    FAIL() << "no exception";
  } catch (const nu::RemoteError &e) {
    EXPECT_EQ(e.type_name(), "std::runtime_error");
    EXPECT_STREQ(e.what(), "constructor failed");
  }
  EXPECT_TRUE(nu::make_proclet<Fragile>(false));
}

TEST_P(Errors, WeakHandleToDestroyedProclet) {
  auto c = nu::make_proclet<Counter>(3);
  nu::WeakProclet<Counter> weak = c.get_weak();
  EXPECT_EQ(weak.Run(&Counter::Get), 3);
  nu::ProcletId id = c.id();
  c.reset();
  ASSERT_TRUE(eventually([&] {
    return !cluster_.a().find_slot(id) && !cluster_.b().find_slot(id);
  }));
  EXPECT_THROW(weak.Run(&Counter::Get), nu::ProcletUnavailable);
  EXPECT_THROW(weak.RunAsync(&Counter::Get).get(), nu::ProcletUnavailable);
}

TEST_P(Errors, EmptyHandles) {
  nu::Proclet<Counter> empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.id(), 0u);
  EXPECT_THROW(empty.Run(&Counter::Get), nu::Error);
  nu::WeakProclet<Counter> weak;
  EXPECT_THROW(weak.Run(&Counter::Get), nu::Error);
}

TEST_P(Errors, UnregisteredTypeIsExplained) {
  try {
    nu::make_proclet<NotAProclet>();
    FAIL() << "no exception";
  } catch (const nu::Error &e) {
    EXPECT_NE(std::string(e.what()).find("nutest::NotAProclet"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("nu_add_executable"),
              std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Paths, Errors,
                         testing::Values(Path::Local, Path::Remote), path_name);

// A call without a reply in time may have run: CallTimeout, not
// ProcletUnavailable ("did not run"), from Run and from a Future alike.
TEST(Deadline, SlowRemoteCallGivesCallTimeout) {
  Cluster cluster(true, std::chrono::milliseconds(200));
  nu::detail::NodeScope scope(&cluster.a());
  auto c = nu::make_proclet<Counter>();
  auto start = std::chrono::steady_clock::now();
  try {
    c.Run(&Counter::Sleep, 1000);
    ADD_FAILURE() << "no exception";
  } catch (const nu::ProcletUnavailable &e) {
    ADD_FAILURE() << "a timeout is not unavailability: " << e.what();
  } catch (const nu::CallTimeout &e) {
    EXPECT_EQ(e.id(), c.id());
    EXPECT_NE(std::string(e.what()).find("may or may not have run"),
              std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  auto later = c.RunAsync(&Counter::Sleep, 500);
  EXPECT_THROW(later.get(), nu::CallTimeout);
  std::this_thread::sleep_for(std::chrono::seconds(1)); // both sleeps end
  EXPECT_EQ(c.Run(&Counter::Get), 0) << "later calls still work";
}

} // namespace
} // namespace nutest
