//! Keeps `docs/protocol.md` true to the code: its bad-input table lists
//! exactly the error statuses that `tests/tests/endpoint.rs` asserts, its
//! attribute tables name exactly the attributes the client runtime and the
//! renderer use, and its events table names exactly the runtime's `mochi:`
//! events. Each check also runs on a doctored copy, to prove it can fail.

use std::collections::{BTreeMap, BTreeSet};

const PROTOCOL: &str = include_str!("../../docs/protocol.md");
const ENDPOINT_TESTS: &str = include_str!("endpoint.rs");
/// The runtime's sources (`mochi/src/runtime/`), every module.
const RUNTIME: &str = concat!(
    include_str!("../../mochi/src/runtime/mochi.js"),
    include_str!("../../mochi/src/runtime/base.js"),
    include_str!("../../mochi/src/runtime/parsed.js"),
    include_str!("../../mochi/src/runtime/island.js"),
    include_str!("../../mochi/src/runtime/live.js"),
    include_str!("../../mochi/src/runtime/stream.js"),
    include_str!("../../mochi/src/runtime/hydrate.js"),
);
/// The renderer: island elements, and the parts of streamed pages.
const RENDER: &str = concat!(
    include_str!("../../mochi/src/render.rs"),
    include_str!("../../mochi/src/stream.rs")
);

/// Standard HTML attributes the renderer writes (props blocks, the runtime
/// script tag): not part of mochi's own protocol.
const HTML_ATTRIBUTES: [&str; 3] = ["type", "id", "src"];

/// A markdown table: the heading it sits under, its header cells and its
/// rows, each with its 1-based line number.
#[derive(Debug)]
struct Table {
    heading: String,
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

fn is_separator(line: &str) -> bool {
    let line = line.trim();
    line.starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Every table of `doc` outside code fences. Panics on a row whose cell
/// count differs from its header's (a stray `|` would shift the columns).
fn tables(doc: &str) -> Vec<Table> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut tables = Vec::new();
    let mut heading = String::new();
    let mut fenced = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_owned();
        } else if !fenced
            && line.trim_start().starts_with('|')
            && lines.get(i + 1).is_some_and(|next| is_separator(next))
        {
            let header = cells(line);
            let mut rows = Vec::new();
            i += 2;
            while let Some(row) = lines.get(i).filter(|l| l.trim_start().starts_with('|')) {
                let row_cells = cells(row);
                assert_eq!(
                    row_cells.len(),
                    header.len(),
                    "docs/protocol.md line {}: {} cells under a header of {} ({:?}); \
                     is there a stray `|`?",
                    i + 1,
                    row_cells.len(),
                    header.len(),
                    header
                );
                rows.push((i + 1, row_cells));
                i += 1;
            }
            tables.push(Table {
                heading: heading.clone(),
                header,
                rows,
            });
            continue;
        }
        i += 1;
    }
    tables
}

/// The text of the first `` `code span` `` in `cell`.
fn first_code(cell: &str) -> Option<&str> {
    let start = cell.find('`')? + 1;
    let len = cell[start..].find('`')?;
    Some(&cell[start..start + len])
}

/// Status → the lines of the bad-input table's rows that give it.
fn documented_statuses(doc: &str) -> BTreeMap<u16, Vec<usize>> {
    let tables = tables(doc);
    let bad_input: Vec<&Table> = tables.iter().filter(|t| t.heading == "Bad input").collect();
    assert_eq!(
        bad_input.len(),
        1,
        "docs/protocol.md must have exactly one table under `## Bad input`"
    );
    let table = bad_input[0];
    let column = table
        .header
        .iter()
        .position(|h| h == "status")
        .expect("the bad-input table has a `status` column");
    assert!(!table.rows.is_empty(), "the bad-input table has no rows");
    let mut statuses: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (line, row) in &table.rows {
        let cell = &row[column];
        let status: u16 = cell.parse().unwrap_or_else(|_| {
            panic!("docs/protocol.md line {line}: status cell {cell:?} is not a status code")
        });
        assert!(
            (400..600).contains(&status),
            "docs/protocol.md line {line}: {status} is not an error status; the bad-input \
             table lists error answers only"
        );
        statuses.entry(status).or_default().push(*line);
    }
    statuses
}

/// Status → the lines of `tests` with `.expect(NNN`, error statuses only.
fn asserted_statuses(tests: &str) -> BTreeMap<u16, Vec<usize>> {
    let mut statuses: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (n, line) in tests.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find(".expect(") {
            rest = &rest[at + ".expect(".len()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(status) = digits.parse::<u16>() {
                if status >= 400 {
                    statuses.entry(status).or_default().push(n + 1);
                }
            }
        }
    }
    statuses
}

/// What differs between the table's statuses and the tests' assertions.
fn status_problems(doc: &str, tests: &str) -> Vec<String> {
    let documented = documented_statuses(doc);
    let asserted = asserted_statuses(tests);
    let mut problems = Vec::new();
    for (status, lines) in &documented {
        if !asserted.contains_key(status) {
            problems.push(format!(
                "docs/protocol.md documents {status} (bad-input table, line(s) {lines:?}), but \
                 tests/tests/endpoint.rs never asserts it with `.expect({status}, …)`"
            ));
        }
    }
    for (status, lines) in &asserted {
        if !documented.contains_key(status) {
            problems.push(format!(
                "tests/tests/endpoint.rs asserts {status} (line(s) {lines:?}), but the \
                 bad-input table of docs/protocol.md has no row with status {status}"
            ));
        }
    }
    problems
}

#[test]
fn every_status_in_the_bad_input_table_is_asserted_by_the_endpoint_tests_and_back() {
    let problems = status_problems(PROTOCOL, ENDPOINT_TESTS);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_status_check_notices_a_missing_row_and_a_missing_assertion() {
    let without_415: String = PROTOCOL
        .lines()
        .filter(|l| !l.starts_with("| 415 |"))
        .map(|l| format!("{l}\n"))
        .collect();
    let problems = status_problems(&without_415, ENDPOINT_TESTS);
    assert!(
        problems.iter().any(|p| p.contains("asserts 415")),
        "{problems:?}"
    );
    let problems = status_problems(
        PROTOCOL,
        &ENDPOINT_TESTS.replace(".expect(504", ".expect(200"),
    );
    assert!(
        problems.iter().any(|p| p.contains("documents 504")),
        "{problems:?}"
    );
}

/// Attribute names in the attribute tables (first column `attribute`), with
/// their lines.
fn documented_attributes(doc: &str) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for table in tables(doc) {
        if table.header.first().map(String::as_str) != Some("attribute") {
            continue;
        }
        for (line, row) in &table.rows {
            let name = first_code(&row[0]).unwrap_or_else(|| {
                panic!("docs/protocol.md line {line}: the attribute cell names no `attribute`")
            });
            names.entry(name.to_owned()).or_insert(*line);
        }
    }
    assert!(
        !names.is_empty(),
        "docs/protocol.md has no attribute tables"
    );
    names
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// The attribute name that ends just before byte `end` of `text`.
fn name_before(text: &str, end: usize) -> &str {
    let start = text[..end]
        .rfind(|c: char| !is_name_char(c))
        .map_or(0, |i| i + 1);
    &text[start..end]
}

/// Attributes the runtime reads or writes: `getAttribute('x')` and the rest
/// of that family, and selectors such as `template[mochi-error-fallback]`.
fn runtime_attributes(js: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for call in [
        "getAttribute('",
        "setAttribute('",
        "removeAttribute('",
        "hasAttribute('",
    ] {
        for (at, _) in js.match_indices(call) {
            let rest = &js[at + call.len()..];
            let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
            if rest[name.len()..].starts_with('\'') && !name.is_empty() {
                names.insert(name);
            }
        }
    }
    // `[name]` or `[name=…]` with a hyphenated name: an attribute selector
    // (array indexing never has a hyphen).
    for (at, _) in js.match_indices('[') {
        let rest = &js[at + 1..];
        let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
        let closes = rest[name.len()..].starts_with([']', '=']);
        if closes && name.contains('-') && !name.starts_with('-') {
            names.insert(name);
        }
    }
    names
}

/// Attributes the renderer writes: `name=\"` inside its Rust string
/// literals, and `<template name>`.
fn rendered_attributes(rust: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in rust.match_indices("=\\\"") {
        let name = name_before(rust, at);
        if !name.is_empty() && !name.starts_with('-') {
            names.insert(name.to_owned());
        }
    }
    for (at, _) in rust.match_indices("<template ") {
        let rest = &rust[at + "<template ".len()..];
        let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
        if rest[name.len()..].starts_with('>') && !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

fn attribute_problems(doc: &str, js: &str, rust: &str) -> Vec<String> {
    let documented = documented_attributes(doc);
    let runtime = runtime_attributes(js);
    let rendered = rendered_attributes(rust);
    let mut problems = Vec::new();
    for (name, line) in &documented {
        if !runtime.contains(name) && !rendered.contains(name) {
            problems.push(format!(
                "docs/protocol.md line {line} documents attribute `{name}`, which neither \
                 mochi/src/runtime/ nor mochi/src/render.rs uses"
            ));
        }
    }
    for (name, source) in runtime
        .iter()
        .map(|n| (n, "mochi/src/runtime/"))
        .chain(rendered.iter().map(|n| (n, "mochi/src/render.rs")))
    {
        if !documented.contains_key(name.as_str()) && !HTML_ATTRIBUTES.contains(&name.as_str()) {
            problems.push(format!(
                "{source} uses attribute `{name}`, which no attribute table of \
                 docs/protocol.md documents"
            ));
        }
    }
    problems
}

#[test]
fn every_documented_attribute_is_used_by_the_runtime_or_the_renderer_and_back() {
    let problems = attribute_problems(PROTOCOL, RUNTIME, RENDER);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_attribute_check_notices_an_unknown_and_an_undocumented_attribute() {
    // The scanners see what the code holds.
    let runtime = runtime_attributes(RUNTIME);
    for name in [
        "retries",
        "mochi-state",
        "aria-busy",
        "mochi-error-fallback",
    ] {
        assert!(runtime.contains(name), "{name} not found in {runtime:?}");
    }
    let rendered = rendered_attributes(RENDER);
    for name in ["signed-props", "props-ref", "mochi-error-fallback", "type"] {
        assert!(rendered.contains(name), "{name} not found in {rendered:?}");
    }

    let invented: String = PROTOCOL
        .lines()
        .flat_map(|l| match l.starts_with("| `transport` |") {
            true => vec![l, "| `lazy-props` | x | x | x |"],
            false => vec![l],
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let problems = attribute_problems(&invented, RUNTIME, RENDER);
    assert!(
        problems.iter().any(|p| p.contains("`lazy-props`")),
        "{problems:?}"
    );
    let new_attribute = RUNTIME.replace(
        "getAttribute('retries')",
        "getAttribute('retries') ?? el.getAttribute('max-retries')",
    );
    let problems = attribute_problems(PROTOCOL, &new_attribute, RENDER);
    assert!(
        problems.iter().any(|p| p.contains("`max-retries`")),
        "{problems:?}"
    );
}

/// `mochi:…` event names in `js`.
fn runtime_events(js: &str) -> BTreeSet<String> {
    js.match_indices("mochi:")
        .map(|(at, _)| {
            let rest = &js[at + "mochi:".len()..];
            let name: String = rest.chars().take_while(|&c| is_name_char(c)).collect();
            format!("mochi:{name}")
        })
        .filter(|name| name.len() > "mochi:".len())
        .collect()
}

/// Event names in the events tables (first column `event`), with lines.
fn documented_events(doc: &str) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for table in tables(doc) {
        if table.header.first().map(String::as_str) != Some("event") {
            continue;
        }
        for (line, row) in &table.rows {
            let name = first_code(&row[0]).unwrap_or_else(|| {
                panic!("docs/protocol.md line {line}: the event cell names no `event`")
            });
            names.entry(name.to_owned()).or_insert(*line);
        }
    }
    names
}

fn event_problems(doc: &str, js: &str) -> Vec<String> {
    let documented = documented_events(doc);
    let runtime = runtime_events(js);
    let mut problems = Vec::new();
    for name in &runtime {
        if !documented.contains_key(name) {
            problems.push(format!(
                "mochi/src/runtime/ uses event `{name}`, which the events table of \
                 docs/protocol.md does not document"
            ));
        }
    }
    for (name, line) in &documented {
        if !runtime.contains(name) {
            problems.push(format!(
                "docs/protocol.md line {line} documents event `{name}`, which \
                 mochi/src/runtime/ never fires or listens for"
            ));
        }
    }
    problems
}

#[test]
fn every_runtime_event_is_documented_and_back() {
    let problems = event_problems(PROTOCOL, RUNTIME);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_event_check_notices_an_undocumented_event() {
    assert!(runtime_events(RUNTIME).contains("mochi:island-hydrate"));
    let js = format!("{RUNTIME}\nmochiEmit(el, 'mochi:island-abort', {{}});\n");
    let problems = event_problems(PROTOCOL, &js);
    assert!(
        problems.iter().any(|p| p.contains("`mochi:island-abort`")),
        "{problems:?}"
    );
}
