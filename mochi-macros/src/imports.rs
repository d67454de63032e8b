//! A client module's static relative imports, found at compile time: each
//! file a module imports (and what those import) is embedded with it, so
//! mochi can serve them all, content-hashed, next to the module.
//!
//! The scan reads JavaScript tokens well enough for `import … from '…'`,
//! `import '…'` and `export … from '…'`: comments, strings and template
//! literals are skipped whole, so an `import` inside them is not one.
//! Dynamic `import(…)` and bare specifiers (`'lit'`) are left to the
//! browser.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// One file of a module graph: its path relative to the crate root (with
/// `/`), and where its relative imports are.
#[derive(Debug)]
pub(crate) struct ModuleFile {
    pub(crate) path: String,
    pub(crate) imports: Vec<Import>,
}

/// An import's specifier literal (quotes included) at `at..at + len` of
/// its file's source, naming file `file` of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Import {
    pub(crate) at: usize,
    pub(crate) len: usize,
    pub(crate) file: usize,
}

/// The module at `entry` (relative to `root`) and every file it imports,
/// the entry first; an error says which import is wrong and why.
pub(crate) fn module_graph(root: &Path, entry: &str) -> Result<Vec<ModuleFile>, String> {
    let mut graph = Graph {
        root,
        files: Vec::new(),
        index: HashMap::new(),
        path_stack: Vec::new(),
    };
    graph.visit(entry.to_owned())?;
    Ok(graph.files)
}

struct Graph<'a> {
    root: &'a Path,
    files: Vec<ModuleFile>,
    index: HashMap<String, usize>,
    /// The files being visited, for the message of a cycle.
    path_stack: Vec<String>,
}

impl Graph<'_> {
    fn visit(&mut self, path: String) -> Result<usize, String> {
        if let Some(at) = self.path_stack.iter().position(|p| *p == path) {
            let mut cycle = self.path_stack[at..].to_vec();
            cycle.push(path);
            return Err(format!(
                "client modules import each other in a cycle ({}): mochi names each module by \
                 a hash of its text, which holds the names of what it imports, and a cycle has \
                 none; move what both need into a third module",
                cycle.join(" → ")
            ));
        }
        if let Some(&done) = self.index.get(&path) {
            return Ok(done);
        }
        let source = std::fs::read_to_string(self.root.join(&path))
            .map_err(|e| format!("client module `{path}` cannot be read: {e}"))?;
        let me = self.files.len();
        self.files.push(ModuleFile {
            path: path.clone(),
            imports: Vec::new(),
        });
        self.path_stack.push(path.clone());
        let mut imports = Vec::new();
        for (at, len, specifier) in specifiers(&source) {
            if !(specifier.starts_with("./") || specifier.starts_with("../")) {
                continue;
            }
            let target = resolve(&path, &specifier).ok_or_else(|| {
                format!(
                    "client module `{path}` imports `{specifier}`, which leaves the crate's \
                     directory: mochi serves only files inside it"
                )
            })?;
            if !(target.ends_with(".js") || target.ends_with(".mjs")) {
                return Err(format!(
                    "client module `{path}` imports `{specifier}`: write the file's full name, \
                     ending in `.js` or `.mjs`, as a browser needs it"
                ));
            }
            if !self.root.join(&target).is_file() {
                return Err(format!(
                    "client module `{path}` imports `{specifier}`, and `{target}` (relative to \
                     the directory of the crate's Cargo.toml) is not found"
                ));
            }
            let file = self.visit(target)?;
            imports.push(Import { at, len, file });
        }
        self.path_stack.pop();
        self.files[me].imports = imports;
        self.index.insert(path, me);
        Ok(me)
    }
}

/// `specifier` relative to the directory of `from` (both with `/`), or
/// `None` if it climbs above the crate root.
fn resolve(from: &str, specifier: &str) -> Option<String> {
    let joined = Path::new(from)
        .parent()
        .unwrap_or(Path::new(""))
        .join(specifier);
    let mut parts: Vec<String> = Vec::new();
    for part in joined.components() {
        match part {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let path: PathBuf = parts.iter().collect();
    Some(path.to_string_lossy().replace('\\', "/"))
}

/// A token of JavaScript, as far as imports need.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    Word(&'a str),
    /// A string literal at `at`, `len` bytes with its quotes, and its text.
    Str(usize, usize, &'a str),
    /// A template or regular expression literal, skipped whole.
    Literal,
    Punct(u8),
}

/// Whether a `/` after `prev` starts a regular expression literal (where
/// an expression may begin) rather than a division.
fn regex_may_follow(prev: Option<&Token<'_>>) -> bool {
    const BEFORE_EXPRESSION: &[&str] = &[
        "return",
        "typeof",
        "instanceof",
        "in",
        "of",
        "new",
        "delete",
        "void",
        "throw",
        "case",
        "do",
        "else",
        "yield",
        "await",
    ];
    match prev {
        None => true,
        Some(Token::Punct(c)) => !matches!(c, b')' | b']'),
        Some(Token::Word(w)) => BEFORE_EXPRESSION.contains(w),
        Some(Token::Str(..) | Token::Literal) => false,
    }
}

/// The string literals of `source` that name a module statically: after
/// `import` (a side-effect import) or after the `from` of an `import` or
/// `export` declaration. Each: where the literal is, its length with
/// quotes, and its text.
pub(crate) fn specifiers(source: &str) -> Vec<(usize, usize, String)> {
    let tokens = tokens(source);
    let mut found = Vec::new();
    let mut in_declaration = false;
    for (i, token) in tokens.iter().enumerate() {
        let after_dot = i > 0 && tokens[i - 1] == Token::Punct(b'.');
        match token {
            Token::Word("import") | Token::Word("export") if !after_dot => {
                in_declaration = true;
                if let (Token::Word("import"), Some(Token::Str(at, len, text))) =
                    (token, tokens.get(i + 1))
                {
                    found.push((*at, *len, (*text).to_owned()));
                    in_declaration = false;
                }
            }
            Token::Word("from") if in_declaration && !after_dot => {
                if let Some(Token::Str(at, len, text)) = tokens.get(i + 1) {
                    found.push((*at, *len, (*text).to_owned()));
                    in_declaration = false;
                }
            }
            Token::Punct(b';') => in_declaration = false,
            _ => {}
        }
    }
    found
}

fn tokens(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = find(bytes, i, b"\n").unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
            }
            b'\'' | b'"' => {
                let end = string_end(bytes, i);
                let text = source.get(i + 1..end.saturating_sub(1)).unwrap_or("");
                out.push(Token::Str(i, end - i, text));
                i = end;
            }
            b'`' => {
                i = template_end(bytes, i);
                out.push(Token::Literal);
            }
            b'/' if regex_may_follow(out.last()) => {
                i = regex_end(bytes, i);
                out.push(Token::Literal);
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                out.push(Token::Word(&source[start..i]));
            }
            _ if b.is_ascii_whitespace() => i += 1,
            _ => {
                out.push(Token::Punct(b));
                i += 1;
            }
        }
    }
    out
}

/// Where `needle` starts at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| from + at)
}

/// Just past the template literal opening at `start`, its `${…}`
/// expressions (strings, templates and braces in them) included.
fn template_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'`' => return i + 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => i = expression_end(bytes, i + 2),
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the `}` closing a template's `${` expression that starts at
/// `start`.
fn expression_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 1;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => i = string_end(bytes, i),
            b'`' => i = template_end(bytes, i),
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the regular expression literal opening at `start` (and its
/// flags): a `/` inside a `[…]` class or after `\` does not close it.
fn regex_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'[' => {
                in_class = true;
                i += 1;
            }
            b']' => {
                in_class = false;
                i += 1;
            }
            b'/' if !in_class => {
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                    i += 1;
                }
                return i;
            }
            b'\n' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the string literal opening at `start` (its closing quote, or
/// the end of the text); backslash escapes skip the next byte.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(source: &str) -> Vec<String> {
        specifiers(source).into_iter().map(|(_, _, s)| s).collect()
    }

    #[test]
    fn finds_static_imports_and_re_exports() {
        let source = r#"
            import helper from './helper.js';
            import { a, b as c } from "../lib/util.mjs"
            import * as all from './all.js';
            import './side-effect.js';
            export { x } from './x.js';
            export * from './star.js';
            import lit from 'lit';
        "#;
        assert_eq!(
            specs(source),
            [
                "./helper.js",
                "../lib/util.mjs",
                "./all.js",
                "./side-effect.js",
                "./x.js",
                "./star.js",
                "lit"
            ]
        );
    }

    #[test]
    fn skips_comments_strings_and_lookalikes() {
        let source = r#"
            // import a from './commented.js';
            /* import b from './block.js'; */
            const s = "import c from './in-string.js'";
            const t = `import d from './in-template.js'`;
            const from = Array.from('./not-an-import.js');
            obj.import('./method.js');
            const lazy = import('./dynamic.js');
            export default function (el) { el.textContent = 'from "./nope.js"'; }
        "#;
        assert_eq!(specs(source), Vec::<String>::new());
    }

    #[test]
    fn regexes_templates_and_division_do_not_derail_the_scan() {
        let source = r#"
            export const esc = s => s.replace(/'/g, "&#39;");
            export { fmt } from './fmt.js';
            const slashes = /^\/*$/;
            import './after-regex.js';
            const t = `a ${ `nested ${'`'}` } b ${ {x: 1}.x } c`;
            import './after-template.js';
            const ratio = (a) / 2 / (b);
            import './after-division.js';
            const r = x => { return /"/.test(x); };
            import './after-return.js';
        "#;
        assert_eq!(
            specs(source),
            [
                "./fmt.js",
                "./after-regex.js",
                "./after-template.js",
                "./after-division.js",
                "./after-return.js"
            ]
        );
    }

    #[test]
    fn positions_cover_the_quoted_literal() {
        let source = "import h from './h.js';";
        let (at, len, _) = specifiers(source)[0].clone();
        assert_eq!(&source[at..at + len], "'./h.js'");
    }

    #[test]
    fn resolves_relative_to_the_importing_file() {
        assert_eq!(
            resolve("static/a.js", "./b.js").as_deref(),
            Some("static/b.js")
        );
        assert_eq!(
            resolve("static/x/a.js", "../b.js").as_deref(),
            Some("static/b.js")
        );
        assert_eq!(resolve("a.js", "../../etc/passwd"), None);
    }

    #[test]
    fn a_missing_import_and_a_cycle_are_errors_naming_the_paths() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let err = module_graph(root, "tests/static/imports/missing.js").unwrap_err();
        assert!(err.contains("imports `./nowhere.js`"), "{err}");
        assert!(err.contains("`tests/static/imports/nowhere.js`"), "{err}");
        let err = module_graph(root, "tests/static/imports/cycle-a.js").unwrap_err();
        assert!(err.contains("cycle"), "{err}");
        assert!(
            err.contains("cycle-a.js → tests/static/imports/cycle-b.js → "),
            "{err}"
        );
    }

    #[test]
    fn a_graph_lists_each_file_once_the_entry_first() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let graph = module_graph(root, "tests/static/imports/entry.js").unwrap();
        let paths: Vec<_> = graph.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "tests/static/imports/entry.js",
                "tests/static/imports/format.js",
                "tests/static/imports/shared/words.js"
            ]
        );
        // entry imports format twice over (directly and through nothing
        // else) and words once; format imports words.
        assert_eq!(graph[0].imports.len(), 2);
        assert_eq!(graph[1].imports.len(), 1);
        assert_eq!(graph[1].imports[0].file, 2);
    }
}
