// Unit tests of the IR the frontend builds: what codegen will read about
// classes, methods, fields, templates and call sites.
#include "FrontendTestUtil.hpp"

#include <gtest/gtest.h>

using namespace nuc;
using nuc::test::runFrontend;

namespace {

const char StdString[] =
    "std::basic_string<char, std::char_traits<char>, std::allocator<char>>";

const ir::ProcletClass &onlyClass(const test::FrontendRun &R) {
  EXPECT_TRUE(R.Ok);
  EXPECT_EQ(R.Units.size(), 1u);
  EXPECT_EQ(R.Units.at(0).Proclets.size(), 1u);
  return R.Units.at(0).Proclets.at(0);
}

TEST(IRBuilder, MethodsAndSignatures) {
  auto R = runFrontend(R"(
    #include <nu/nu.hpp>
    #include <string>
    namespace app {
    class [[nu::proclet]] Store {
    public:
      Store(int n);
      void Put(const std::string &k, std::string &&v);
      int Size() const;
      nu::Proclet<Store> Self();
    private:
      void Helper(int *p);
      int n_;
    };
    })");
  const ir::ProcletClass &C = onlyClass(R);
  EXPECT_EQ(C.Name, "app::Store");
  EXPECT_EQ(C.Loc.Line, 5u);
  ASSERT_EQ(C.Constructors.size(), 1u);
  ASSERT_EQ(C.Methods.size(), 3u);
  const ir::Method &Put = C.Methods[0];
  EXPECT_EQ(Put.Name, "Put");
  EXPECT_EQ(Put.Signature,
            "void app::Store::Put(const std::string &, std::string &&)");
  EXPECT_EQ(Put.Result.Kind, ir::TypeKind::Void);
  EXPECT_EQ(Put.Params[0].Ty.Kind, ir::TypeKind::ConstRef);
  EXPECT_EQ(Put.Params[0].Ty.Decayed, StdString);
  EXPECT_EQ(Put.Params[1].Ty.Kind, ir::TypeKind::RValueRef);
  EXPECT_TRUE(C.Methods[1].IsConst);
  EXPECT_EQ(C.Methods[1].Signature, "int app::Store::Size() const");
  EXPECT_EQ(C.Methods[2].Result.Kind, ir::TypeKind::Handle);
}

TEST(IRBuilder, FieldsOfClassAndBases) {
  auto R = runFrontend(R"(
    #include <nu/nu.hpp>
    #include <atomic>
    #include <map>
    #include <mutex>
    struct Base { int hits = 0; };
    class [[nu::proclet]] Cache : public Base {
    public:
      int Get(int k);
    private:
      std::mutex mu_;
      std::atomic<long> n_;
      std::map<int, int> m_;
      [[nu::transient]] int *scratch_ = nullptr;
    };)");
  const ir::ProcletClass &C = onlyClass(R);
  ASSERT_EQ(C.Fields.size(), 5u);
  EXPECT_EQ(C.Fields[0].Name, "hits");
  EXPECT_EQ(C.Fields[0].DeclaredIn, "Base");
  EXPECT_TRUE(C.Fields[0].IsPublic);
  EXPECT_EQ(C.Fields[1].Name, "mu_");
  EXPECT_TRUE(C.Fields[1].IsRecreated);
  EXPECT_FALSE(C.Fields[2].IsRecreated);
  EXPECT_TRUE(C.Fields[2].IsAtomic);
  EXPECT_FALSE(C.Fields[3].IsAtomic);
  EXPECT_EQ(C.Fields[3].Ty.Spelling, "std::map<int, int>");
  EXPECT_TRUE(C.Fields[4].IsTransient);
  EXPECT_EQ(C.Bases, std::vector<std::string>{"Base"});
}

TEST(IRBuilder, InheritedMethodsRespectNameHiding) {
  auto R = runFrontend(R"(
    struct Base { void F(int); void G(); };
    class [[nu::proclet]] D : public Base { public: void F(long); };)");
  const ir::ProcletClass &C = onlyClass(R);
  ASSERT_EQ(C.Methods.size(), 2u);
  EXPECT_EQ(C.Methods[0].Signature, "void D::F(long)");
  EXPECT_EQ(C.Methods[1].Signature, "void Base::G()");
  EXPECT_EQ(C.Methods[1].DeclaredIn, "Base");
}

TEST(IRBuilder, TemplateInstancesNotPatterns) {
  auto R = runFrontend(R"(
    #include <nu/nu.hpp>
    #include <string>
    template <class K, class V> class [[nu::proclet]] Shard {
    public:
      void Put(K k, V v);
    private:
      K k_; V v_;
    };
    void use() {
      auto a = nu::make_proclet<Shard<std::string, int>>();
      auto b = nu::make_proclet<Shard<int, int>>();
    })");
  ASSERT_TRUE(R.Ok);
  const auto &P = R.Units.at(0).Proclets;
  ASSERT_EQ(P.size(), 2u);
  EXPECT_EQ(P[0].Name, "Shard<int, int>");
  EXPECT_EQ(P[1].Name, "Shard<std::basic_string<char>, int>");
  EXPECT_TRUE(P[1].IsTemplateInstance);
  EXPECT_EQ(P[1].Methods.at(0).Signature,
            "void Shard<std::basic_string<char>, int>::Put(" +
                std::string(StdString) + ", int)");
  EXPECT_EQ(R.Units[0].Creations.size(), 2u);
}

TEST(IRBuilder, ClosureSitesAndCreations) {
  auto R = runFrontend(R"(
    #include <nu/nu.hpp>
    #include <string>
    class [[nu::proclet]] Acc {
    public:
      int Get();
    };
    int twice(Acc &a, int n);
    void use() {
      auto p = nu::make_proclet<Acc>(nu::ProcletOptions{}, 1, std::string("x"));
      p.Run(&Acc::Get);
      p.RunAsync(+[](Acc &a, const std::string &s) { return s.size(); }, "x");
      p.Run(twice, 2);
    })");
  ASSERT_TRUE(R.Ok);
  const ir::TranslationUnit &TU = R.Units.at(0);
  ASSERT_EQ(TU.Creations.size(), 1u);
  EXPECT_EQ(TU.Creations[0].Proclet, "Acc");
  ASSERT_EQ(TU.Creations[0].Args.size(), 2u); // options are not an argument
  EXPECT_EQ(TU.Creations[0].Args[1].Spelling, "std::string");
  ASSERT_EQ(TU.Closures.size(), 3u);
  EXPECT_EQ(TU.Closures[0].Kind, ir::ClosureKind::Method);
  EXPECT_EQ(TU.Closures[0].Callee, "Acc::Get");
  EXPECT_EQ(TU.Closures[1].Entry, "RunAsync");
  EXPECT_EQ(TU.Closures[1].Kind, ir::ClosureKind::Lambda);
  ASSERT_EQ(TU.Closures[1].Params.size(), 1u);
  EXPECT_EQ(TU.Closures[1].Params[0].Spelling, "const std::string &");
  EXPECT_EQ(TU.Closures[1].Result.Decayed, "unsigned long");
  EXPECT_EQ(TU.Closures[2].Kind, ir::ClosureKind::Function);
  EXPECT_EQ(TU.Closures[2].Callee, "twice");
}

TEST(IRBuilder, AbstractClassesAreMarked) {
  auto R = runFrontend(R"(
    class [[nu::proclet]] Shape { public: virtual int Area() const = 0; };)");
  EXPECT_TRUE(onlyClass(R).IsAbstract);
}

const ir::Aggregate *findAggregate(const ir::TranslationUnit &TU,
                                   const std::string &Name) {
  for (const ir::Aggregate &A : TU.Aggregates)
    if (A.Name == Name)
      return &A;
  return nullptr;
}

TEST(IRBuilder, AggregatesReachedFromBoundariesAndState) {
  auto R = runFrontend(R"(
    #include <nu/nu.hpp>
    #include <atomic>
    #include <map>
    #include <string>
    #include <vector>
    namespace geo {
    struct Point { int x, y; };
    namespace { struct Tag { std::string name; }; }
    struct Shape { std::vector<Point> points; Tag tag; };
    struct Custom { int v; template <class A> void serialize(A &a) { a(v); } };
    }
    struct Stats : geo::Point { std::atomic<long> hits; [[nu::transient]] int *p; };
    struct Unused { int u; };
    class [[nu::proclet]] Canvas {
    public:
      void Draw(const std::map<int, geo::Shape> &s, geo::Custom c);
    private:
      Stats stats_;
    };
    struct Arg { double d; };
    void use(nu::Proclet<Canvas> p) {
      p.Run(+[](Canvas &, Arg a) { return a.d; }, Arg{});
    })");
  ASSERT_TRUE(R.Ok);
  const ir::TranslationUnit &TU = R.Units.at(0);
  std::vector<std::string> Names;
  for (const ir::Aggregate &A : TU.Aggregates)
    Names.push_back(A.Name);
  EXPECT_EQ(Names, (std::vector<std::string>{"geo::Point", "geo::Tag",
                                             "geo::Shape", "Stats", "Arg"}));
  const ir::Aggregate *Tag = findAggregate(TU, "geo::Tag");
  ASSERT_TRUE(Tag);
  ASSERT_EQ(Tag->Namespaces.size(), 2u);
  EXPECT_EQ(Tag->Namespaces[0].Name, "geo");
  EXPECT_EQ(Tag->Namespaces[1].Name, "");
  const ir::Aggregate *Stats = findAggregate(TU, "Stats");
  ASSERT_TRUE(Stats);
  ASSERT_EQ(Stats->Fields.size(), 4u);
  EXPECT_EQ(Stats->Fields[0].Name, "x");
  EXPECT_EQ(Stats->Fields[0].DeclaredIn, "geo::Point");
  EXPECT_TRUE(Stats->Fields[2].IsAtomic);
  EXPECT_TRUE(Stats->Fields[3].IsTransient);
  EXPECT_TRUE(Stats->Namespaces.empty());
}

TEST(IRBuilder, NoIRWhenAnErrorWasReported) {
  auto R = runFrontend(R"(
    class [[nu::proclet]] Bad { int *p_; };)");
  EXPECT_FALSE(R.Ok);
  EXPECT_TRUE(R.Units.empty());
}

TEST(IRBuilder, NoProcletsNoClasses) {
  auto R = runFrontend("struct Plain { int x; };");
  ASSERT_TRUE(R.Ok);
  ASSERT_EQ(R.Units.size(), 1u);
  EXPECT_TRUE(R.Units[0].Proclets.empty());
}

} // namespace
