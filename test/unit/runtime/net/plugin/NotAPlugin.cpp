// A shared object without the plugin entry point, which the loader must
// refuse with a message saying so.
extern "C" int nu_test_not_a_plugin(void) { return 42; }
