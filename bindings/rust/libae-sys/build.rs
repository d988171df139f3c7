//! Finds the installed libae through pkg-config (`ae.pc`).
//!
//! Point PKG_CONFIG_PATH at `PREFIX/lib/pkgconfig` of an installed libae. The
//! library is linked dynamically (libae.so, SONAME libae.so.0) unless
//! pkg-config's usual static switches (`PKG_CONFIG_ALL_STATIC`, or
//! `AE_STATIC=1`) ask for the static archive, whose private dependencies
//! (BLAS, zlib, libm) then come from `Libs.private`.
//!
//! Because the manifest says `links = "ae"`, dependents' build scripts see
//! `DEP_AE_LIBDIR` and `DEP_AE_INCLUDE` (for an rpath, say).

fn main() {
    println!("cargo:rerun-if-env-changed=AE_STATIC");
    let want_static = std::env::var("AE_STATIC").map(|v| v == "1").unwrap_or(false);
    let lib = match pkg_config::Config::new()
        .atleast_version("0.1.0")
        .statik(want_static)
        .probe("ae")
    {
        Ok(lib) => lib,
        Err(e) => {
            eprintln!(
                "libae-sys: could not find libae through pkg-config ({e}).\n\
                 Install libae (cmake --install BUILD --prefix PREFIX) and set\n\
                 PKG_CONFIG_PATH=PREFIX/lib/pkgconfig"
            );
            std::process::exit(1);
        }
    };
    if let Some(dir) = lib.link_paths.first() {
        println!("cargo:libdir={}", dir.display());
    }
    if let Some(dir) = lib.include_paths.first() {
        println!("cargo:include={}", dir.display());
    }
}
