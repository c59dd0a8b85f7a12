//! The Python package reads the results tables by `python/atrophy/schema.json`, which must be
//! the Rust schema (`atrophy::results::schema`) exactly: a column added on the Rust side and not
//! written into the file fails here. `ATROPHY_BLESS=1 cargo test --test python_schema` rewrites
//! the file from the Rust schema.
use atrophy::results::schema::schema_json;
use std::path::Path;

#[test]
fn python_schema_file_is_the_rust_schema() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/atrophy/schema.json");
    let want = schema_json();
    if std::env::var_os("ATROPHY_BLESS").is_some() {
        std::fs::write(&file, &want).unwrap();
    }
    let have = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        have == want,
        "{} differs from the Rust results schema (src/results/schema.rs); rewrite it with \
         `ATROPHY_BLESS=1 cargo test --test python_schema` and teach python/atrophy/results.py \
         any new table or column type",
        file.display()
    );
}

/// The files the schema names are those the Rust side writes.
#[test]
fn schema_files_are_the_writers_files() {
    let s = atrophy::results::schema::schema();
    let file = |name: &str| s.tables.iter().find(|t| t.name == name).unwrap().file;
    assert_eq!(file("battery"), atrophy::results::BATTERY_FILE);
    assert_eq!(file("damage"), atrophy::results::DAMAGE_FILE);
    assert_eq!(file("divergence"), atrophy::results::DIVERGENCE_FILE);
}
