// A second, different nu program for the e2e tests: its node must be
// refused by a controller whose logical process runs nu_e2e_app.
#include <nu/nu.hpp>

#include <iostream>
#include <string>

class [[nu::proclet]] Greeter {
public:
  std::string Greet(const std::string &name) { return greeting_ + name; }

private:
  std::string greeting_ = "hello, ";
};

int main(int argc, char **argv) {
  return nu::main(argc, argv, [] {
    auto g = nu::make_proclet<Greeter>();
    std::cout << g.Run(&Greeter::Greet, std::string("nu")) << std::endl;
  });
}
