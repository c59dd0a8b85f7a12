// What tch 0.26 does not expose of autocast: its per-device switch and dtype (tch's own
// `autocast` turns on CUDA's only). Compiled by build.rs against the same libtorch.
#include <ATen/autocast_mode.h>
#include <cstring>

extern "C" {

static c10::DeviceType device_type(int cuda) { return cuda ? c10::DeviceType::CUDA : c10::DeviceType::CPU; }

// Turns autocast on for the CPU (cuda = 0) or CUDA (cuda = 1) with bfloat16 as the lower
// precision, as entering `torch.autocast(device, dtype=torch.bfloat16)` does (without its
// check that a GPU supports bfloat16). Writes the state it replaces to `*was_enabled` and
// `*was_dtype` (a c10::ScalarType) for atrophy_autocast_exit. Returns 0, or 1 with the message
// in `*error` (malloc'ed; null when there was no memory for it) and the state put back as it
// was read (the defaults, off and float32, when reading it was what failed).
int atrophy_autocast_enter(int cuda, int *was_enabled, int *was_dtype, char **error) {
  auto d = device_type(cuda);
  bool enabled = false;
  at::ScalarType dtype = at::kFloat;
  try {
    enabled = at::autocast::is_autocast_enabled(d);
    dtype = at::autocast::get_autocast_dtype(d);
    at::autocast::set_autocast_dtype(d, at::kBFloat16);
    at::autocast::set_autocast_enabled(d, true);
    at::autocast::increment_nesting();
    *was_enabled = enabled ? 1 : 0;
    *was_dtype = static_cast<int>(dtype);
    return 0;
  } catch (const std::exception &e) {
    try {
      at::autocast::set_autocast_enabled(d, enabled);
      at::autocast::set_autocast_dtype(d, dtype);
    } catch (...) {
    }
    *error = strdup(e.what());
    return 1;
  }
}

// Restores what atrophy_autocast_enter replaced; the outermost exit clears the cache of cast
// weights, as leaving `torch.autocast` does. Nothing may unwind into the caller (Rust).
void atrophy_autocast_exit(int cuda, int was_enabled, int was_dtype) {
  try {
    auto d = device_type(cuda);
    if (at::autocast::decrement_nesting() == 0) {
      at::autocast::clear_cache();
    }
    at::autocast::set_autocast_enabled(d, was_enabled != 0);
    at::autocast::set_autocast_dtype(d, static_cast<at::ScalarType>(was_dtype));
  } catch (...) {
  }
}
}
