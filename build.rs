//! Links the binaries and tests against libtorch with an rpath, so that no LD_LIBRARY_PATH is
//! needed, and keeps libtorch_cuda loaded (the linker's --as-needed would otherwise drop it, since
//! nothing references it by symbol, and `--device cuda` would then find no GPU). It also compiles
//! the small C++ shims (src/model/script_shim.cpp, src/train/autocast_shim.cpp) against the same
//! libtorch headers.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
        return;
    }
    let Some(lib) = std::env::var_os("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    let lib = PathBuf::from(lib);
    #[cfg(feature = "torch")]
    compile_shims(&lib);
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    if lib.join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-ltorch_cuda");
    }
    println!("cargo:rustc-link-arg=-ltorch");
}

#[cfg(feature = "torch")]
/// The shims reach into `torch::jit::Module` and ATen's autocast state, so they take the headers
/// of the libtorch tch links (its `include/` folder is beside `lib/`) and the same C++ ABI.
fn compile_shims(lib: &std::path::Path) {
    let shims = ["src/model/script_shim.cpp", "src/train/autocast_shim.cpp"];
    for shim in shims {
        println!("cargo:rerun-if-changed={shim}");
    }
    let root = lib.parent().expect("libtorch's lib folder has a parent");
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".into());
    cc::Build::new()
        .cpp(true)
        .files(shims)
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-w")
        .define("_GLIBCXX_USE_CXX11_ABI", abi.as_str())
        .define("GLOG_USE_GLOG_EXPORT", None)
        .compile("atrophy_shims");
}
