#include "aha/dist/communicator.hpp"

namespace aha::dist {

Communicator& single_process() {
  static SingleProcess one;
  return one;
}

}  // namespace aha::dist
