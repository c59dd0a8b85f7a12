// What tch 0.26 does not expose of a TorchScript module: its buffers (BatchNorm running
// statistics) and whether it defines a method. Compiled by build.rs against the same libtorch.
#include <torch/csrc/jit/api/module.h>

extern "C" {

// Calls `f(data, name, tensor)` for every buffer of the module and its submodules, with the
// dotted name PyTorch's `named_buffers()` gives; each tensor is a new handle sharing the buffer's
// storage, owned by the callee. Returns 0, or 1 with the message in `*error` (malloc'ed).
int atrophy_named_buffers(void *module, void *data, void (*f)(void *, const char *, void *),
                          char **error) {
  try {
    auto *m = static_cast<torch::jit::Module *>(module);
    for (const auto &b : m->named_buffers(/*recurse=*/true)) {
      f(data, b.name.c_str(), new at::Tensor(b.value));
    }
    return 0;
  } catch (const std::exception &e) {
    *error = strdup(e.what());
    return 1;
  }
}

// 1 when the module defines a method `name`, else 0.
int atrophy_has_method(void *module, const char *name) {
  auto *m = static_cast<torch::jit::Module *>(module);
  return m->find_method(name).has_value() ? 1 : 0;
}
}
