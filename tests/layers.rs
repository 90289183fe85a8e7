//! The layers of `src/` depend on each other in one direction only:
//! `domain ← model ← server ← api`, and `model ← components ← pages ← app`.
//! This test reads every source file and fails on a `crate::…` path that points the wrong way.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// For each layer, the top-level modules of the crate it must never name.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "domain",
        &["model", "server", "api", "components", "pages", "app"],
    ),
    ("model", &["server", "api", "components", "pages", "app"]),
    // The router mounts the UI (`crate::app`), and that is all the server knows of it.
    ("server", &["api", "components", "pages"]),
    ("api", &["components", "pages", "app"]),
    ("components", &["pages", "app"]),
    ("pages", &["app"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level crate modules a source text names: `crate::x…` and `crate::{x, y::…}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        // `$crate::` inside macros is the crate too.
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(ident(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.insert(ident(item.trim()));
        } else {
            names.insert(ident(after));
        }
        rest = after;
    }
    names.remove("");
    names
}

#[test]
fn dependencies_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let layer = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or("")
            .trim_end_matches(".rs")
            .to_string();
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(l, _)| *l == layer) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        for name in named_modules(&text) {
            if forbidden.contains(&name.as_str()) {
                violations.push(format!("{} names crate::{name}", rel.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "dependencies must point one way (domain ← model ← server ← api; model ← components ← pages ← app):\n{}",
        violations.join("\n")
    );
    assert!(files.len() > 40, "the test reads the whole crate");
}

#[test]
fn the_reader_sees_every_form_of_path() {
    let names = named_modules(
        "use crate::server::db; use crate::{api::x, model::{a, b}};\n fn f() { $crate::pages::p() }",
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["api", "model", "pages", "server"]);
}
