//! Client modules checked against the props declarations mochi writes for
//! their islands, with the real TypeScript compiler (`tsc --checkJs`,
//! pinned in `tests/typescript`, installed by `npm ci --prefix
//! tests/typescript` in `.ci/run`): the shop's modules pass, and a module
//! that reads a parameter by its old name fails once the Rust parameter is
//! renamed.
//!
//! Needs `node` and that install; without them the tests say SKIPPED and
//! pass, unless `MOCHI_REQUIRE_EXTERNAL=1`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use maud::{html, Markup};

const SKIP_MESSAGE: &str =
    "SKIPPED: the TypeScript check needs node and `npm ci --prefix tests/typescript`";

/// Reads its props as `product_id` and `label` (`tests/static/typed_probe.js`).
#[mochi::island(client = "static/typed_probe.js")]
fn typed_probe(product_id: u32, label: String) -> Markup {
    html! { span { (product_id) " " (label) } }
}

/// The same island after its first parameter was renamed.
#[mochi::island(client = "static/typed_probe.js")]
fn renamed_probe(productid: u32, label: String) -> Markup {
    html! { span { (productid) " " (label) } }
}

fn tsc() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("typescript/node_modules/.bin/tsc")
}

/// Whether the check can run; if not, says SKIPPED (a failure under
/// `MOCHI_REQUIRE_EXTERNAL=1`).
fn available() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node && tsc().is_file() {
        return true;
    }
    let bar = "=".repeat(78);
    let _ = writeln!(std::io::stderr(), "\n{bar}\n{SKIP_MESSAGE}\n{bar}\n");
    assert!(
        std::env::var("MOCHI_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
        "{SKIP_MESSAGE} (MOCHI_REQUIRE_EXTERNAL=1 makes this a failure)"
    );
    false
}

/// `tsc --checkJs --noEmit` on `files`, in `dir`.
fn check(dir: &Path, files: &[&str]) -> Output {
    Command::new(tsc())
        .current_dir(dir)
        .args([
            "--noEmit",
            "--checkJs",
            "--allowJs",
            "--target",
            "es2022",
            "--module",
            "es2022",
            "--moduleResolution",
            "bundler",
            "--lib",
            "es2022,dom,dom.iterable",
        ])
        .args(files)
        .output()
        .expect("tsc runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_shops_modules_check_against_their_declarations() {
    if !available() {
        return;
    }
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/static");
    let out = check(&shop, &["add_to_cart.js", "query.js"]);
    assert!(out.status.success(), "tsc: {}", text(&out));
}

#[test]
fn renaming_a_rust_parameter_fails_the_check() {
    if !available() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript-check");
    std::fs::create_dir_all(&dir).expect("a directory");
    let declarations = mochi::typescript::declarations(env!("CARGO_CRATE_NAME"));
    assert!(declarations.contains("export interface RenamedProbeProps {\n  productid: number;"));
    std::fs::write(dir.join("islands.d.ts"), &declarations).expect("written");
    let module = include_str!("../static/typed_probe.js");
    std::fs::write(dir.join("typed.js"), module).expect("written");
    // The module as it reads for the renamed island: the same code.
    let renamed = module.replace("TypedProbeProps", "RenamedProbeProps");
    std::fs::write(dir.join("renamed.js"), renamed).expect("written");

    let out = check(&dir, &["typed.js"]);
    assert!(
        out.status.success(),
        "the module fits its island: {}",
        text(&out)
    );
    let out = check(&dir, &["renamed.js"]);
    assert!(
        !out.status.success(),
        "tsc passed a module reading a renamed prop"
    );
    let said = text(&out);
    assert!(
        said.contains("Property 'product_id' does not exist on type 'RenamedProbeProps'"),
        "{said}"
    );
    // The islands are real ones, which a page would render.
    let _ = (typed_probe(1, "a".into()), renamed_probe(1, "a".into()));
}
