// A header the depfile test source includes through `-Isub`: it must
// appear in the depfile with an absolute path.
#pragma once

struct Value {
  int N = 0;
};
