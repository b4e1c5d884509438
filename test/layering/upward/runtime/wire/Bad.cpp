// A wire-layer file with an upward include, for the checker's own test.
#include "nu/net/transport.hpp"
