//! The shape of `src/`, checked from the source itself: layers that only look down, no
//! import cycles between files, a thin `main.rs`, and functions short enough to read.
//!
//! Read from the text (comments and strings taken out), not from the compiler: a `use` or a
//! `crate::`/`super::` path is an arrow from the file it is in to the file that defines what it
//! names. A folder's `mod.rs` that re-exports (`pub use child::Thing`) is the folder's face:
//! the re-export is not an arrow, and a path through it leads on to the file it re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module may use its own layer and those below, never above.
const LAYERS: &[&[&str]] = &[
    // What every stage shares: the event contract, engine time, text normalisation; where
    // files live; small sums.
    &["contract", "paths", "stats"],
    &["config", "playbook"],
    &["signal"],
    &["detect", "asr"],
    &["coach"],
    &["engine"],
    // The edges, and what runs calls through the engine.
    &["audio", "output", "logging"],
    &["overlay", "report"],
    &["replay", "calls"],
    &["live", "batch", "eval", "check", "history"],
    &["cli"],
];

const FUNCTION_MAX_LINES: usize = 100;
const MAIN_MAX_LINES: usize = 150;

#[derive(Debug, Default)]
struct Module {
    /// Holds only `mod` and `use` items: a folder's face.
    face: bool,
    /// `pub use` re-exports: the name as seen here -> the full path it stands for.
    reexports: BTreeMap<String, Vec<String>>,
    /// Every path this file refers to, as written (`crate::a::B`, `super::c`).
    uses: Vec<Vec<String>>,
}

/// Take out comments, string and char literals, keeping line breaks.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if b[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)).copied())
        {
            // Raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                if b[j] == '\n' {
                    out.push('\n');
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                if b.get(i) == Some(&'\n') {
                    out.push('\n');
                }
                i += 1;
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                out.push_str("' '");
                i = j + 1;
            } else if b.get(i + 2) == Some(&'\'') {
                out.push_str("' '");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Expand a use tree (`a::{b, c::{d, e as f}}`) into full paths and the name each is seen
/// by here.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = tree[..open]
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut base = prefix.to_vec();
        base.extend(head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (k, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..k], &base, out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim().to_string())),
        None => (tree, None),
    };
    let mut full = prefix.to_vec();
    full.extend(path.split("::").map(|s| s.trim().to_string()));
    if full.last().is_some_and(|s| s == "self") {
        full.pop();
    }
    let seen = alias.unwrap_or_else(|| full.last().cloned().unwrap_or_default());
    out.push((full, seen));
}

/// `text` (already stripped) without its `#[cfg(test)] mod … { … }` blocks: a unit-test
/// module is not part of the layering, and its `super` is the file itself, not the parent.
fn without_test_modules(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let after = &rest[at + "#[cfg(test)]".len()..];
        let is_mod = after.trim_start().starts_with("mod ");
        let open = after.find('{');
        let Some(open) = open.filter(|&o| is_mod && !after[..o].contains(';')) else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
            continue;
        };
        out.push_str(&rest[..at]);
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        // Keep the line count, so line numbers elsewhere still match the source.
        out.extend(after[..end].chars().filter(|&c| c == '\n'));
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn parse(file: &Path, src: &str) -> Module {
    let text = without_test_modules(&strip(src));
    let mut m = Module::default();
    let mut rest = text.as_str();
    let mut other_code = false;
    // `use` items, with their visibility.
    let mut outside_uses = String::new();
    while let Some(at) = find_word(rest, "use") {
        let before = &rest[..at];
        let stmt_end = rest[at..].find(';').map_or(rest.len(), |e| at + e);
        let tree = &rest[at + 3..stmt_end];
        let line_start = before.rfind(['\n', ';', '{', '}']).map_or(0, |k| k + 1);
        let vis = before[line_start..].trim();
        let public = vis.starts_with("pub");
        outside_uses.push_str(&before[..line_start]);
        let mut paths = Vec::new();
        expand(tree, &[], &mut paths);
        for (path, seen) in paths {
            if !matches!(
                path.first().map(String::as_str),
                Some("crate" | "super" | "self")
            ) && !path.first().is_some_and(|s| local_child(file, s))
            {
                continue; // another crate
            }
            let path = if matches!(path[0].as_str(), "crate" | "super" | "self") {
                path
            } else {
                std::iter::once("self".to_string()).chain(path).collect()
            };
            if public {
                m.reexports.insert(seen, path);
            } else {
                m.uses.push(path);
            }
        }
        rest = &rest[(stmt_end + 1).min(rest.len())..];
    }
    outside_uses.push_str(rest);
    // Paths written inline, outside `use` items.
    for word in ["crate", "super", "self"] {
        let mut s = outside_uses.as_str();
        while let Some(at) = find_word(s, word) {
            let tail = &s[at..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            let path: Vec<String> = tail[..end]
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            if path.len() > 1 {
                m.uses.push(path);
            }
            s = &tail[end.max(1)..];
        }
    }
    for line in outside_uses.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let is_mod = (l.starts_with("pub mod ") || l.starts_with("mod ")) && l.ends_with(';');
        if !is_mod && !l.starts_with("pub use") {
            other_code = true;
        }
    }
    m.face = file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs")
        && !other_code;
    m
}

/// A bare first segment naming a child module of the file (`use floor::Floor` in mod.rs).
fn local_child(file: &Path, name: &str) -> bool {
    let dir = file.parent().unwrap_or(Path::new("."));
    let is_folder_root = file
        .file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs");
    is_folder_root
        && (dir.join(format!("{name}.rs")).is_file() || dir.join(name).join("mod.rs").is_file())
}

fn find_word(s: &str, w: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = s[from..].find(w) {
        let at = from + k;
        let before = s[..at].chars().next_back();
        let after = s[at + w.len()..].chars().next();
        if !ident_char(before) && !ident_char(after) {
            return Some(at);
        }
        from = at + w.len();
    }
    None
}

/// Module path of a file under `src`: `a/b.rs` -> [a, b]; `a/mod.rs` -> [a]; lib.rs -> [].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    if last != "mod.rs" && last != "lib.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

struct Crate {
    modules: BTreeMap<Vec<String>, Module>,
}

impl Crate {
    fn load(src: &Path) -> Crate {
        let mut modules = BTreeMap::new();
        let mut stack = vec![src.to_owned()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("main.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    modules.insert(module_path(src, &p), parse(&p, &text));
                }
            }
        }
        Crate { modules }
    }

    /// The file a path leads to from module `at`, following re-exports through faces.
    fn resolve(&self, at: &[String], path: &[String], hops: usize) -> Option<Vec<String>> {
        let mut abs: Vec<String> = Vec::new();
        let mut rest = path;
        match path.first().map(String::as_str) {
            Some("crate") => rest = &path[1..],
            Some("self") => {
                abs = at.to_vec();
                rest = &path[1..];
            }
            Some("super") => {
                abs = at.to_vec();
                while rest.first().is_some_and(|s| s == "super") {
                    abs.pop();
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        abs.extend(rest.iter().cloned());
        // The longest prefix that is a module.
        let mut k = abs.len();
        while k > 0 && !self.modules.contains_key(&abs[..k]) {
            k -= 1;
        }
        let module = abs[..k].to_vec();
        let m = self.modules.get(&module)?;
        if let Some(item) = abs.get(k)
            && let Some(target) = m.reexports.get(item)
            && hops < 8
        {
            let mut next = target.clone();
            next.extend(abs[k + 1..].iter().cloned());
            return self.resolve(&module, &next, hops + 1);
        }
        Some(module)
    }

    /// Arrows between files: (from, to), each once.
    fn arrows(&self) -> BTreeSet<(Vec<String>, Vec<String>)> {
        let mut out = BTreeSet::new();
        for (at, m) in &self.modules {
            for p in &m.uses {
                if let Some(to) = self.resolve(at, p, 0)
                    && &to != at
                    && !to.is_empty()
                {
                    out.insert((at.clone(), to));
                }
            }
        }
        out
    }
}

/// Cycles among the nodes of a graph (each strongly connected set of two or more, or a node
/// with an arrow to itself).
fn cycles<N: Ord + Clone>(arrows: &BTreeSet<(N, N)>) -> Vec<Vec<N>> {
    let mut next: BTreeMap<N, Vec<N>> = BTreeMap::new();
    for (a, b) in arrows {
        next.entry(a.clone()).or_default().push(b.clone());
        next.entry(b.clone()).or_default();
    }
    // Reachability by search from each node: small graphs, so plainness wins.
    let reach = |from: &N| -> BTreeSet<N> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for m in &next[&n] {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<N, BTreeSet<N>> = next.keys().map(|n| (n.clone(), reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for n in next.keys() {
        if done.contains(n) || !reaches[n].contains(n) {
            continue;
        }
        let group: Vec<N> = next
            .keys()
            .filter(|m| reaches[n].contains(*m) && reaches[*m].contains(n))
            .cloned()
            .collect();
        done.extend(group.iter().cloned());
        out.push(group);
    }
    out
}

fn show(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let krate = Crate::load(&src());
    let arrows = krate.arrows();
    assert!(
        arrows.len() > 50,
        "too few arrows read ({}): is the reader broken?",
        arrows.len()
    );
    let found = cycles(&arrows);
    let described: Vec<String> = found
        .iter()
        .map(|c| c.iter().map(|m| show(m)).collect::<Vec<_>>().join(" <-> "))
        .collect();
    assert!(found.is_empty(), "import cycles:\n{}", described.join("\n"));
}

#[test]
fn every_arrow_points_down_the_layers() {
    let krate = Crate::load(&src());
    let rank = |top: &str| LAYERS.iter().position(|l| l.contains(&top));
    let mut wrong = Vec::new();
    let mut unplaced = BTreeSet::new();
    for m in krate.modules.keys().filter(|m| !m.is_empty()) {
        if rank(&m[0]).is_none() {
            unplaced.insert(m[0].clone());
        }
    }
    assert!(
        unplaced.is_empty(),
        "top-level modules in no layer: {unplaced:?} (add them to LAYERS)"
    );
    let mut tops = BTreeSet::new();
    for (from, to) in krate.arrows() {
        let (a, b) = (&from[0], &to[0]);
        if a == b {
            continue;
        }
        tops.insert((a.clone(), b.clone()));
        if rank(a) < rank(b) {
            wrong.push(format!(
                "{} uses {} (a higher layer)",
                show(&from),
                show(&to)
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows that run back up:\n{}",
        wrong.join("\n")
    );
    let found = cycles(&tops);
    assert!(found.is_empty(), "top-level modules in a circle: {found:?}");
}

/// Every `fn` body's length in lines: (file, name, first line, lines).
fn functions(file: &Path) -> Vec<(String, usize, usize)> {
    let text = strip(&std::fs::read_to_string(file).unwrap());
    let chars: Vec<char> = text.chars().collect();
    let line_of = |pos: usize| chars[..pos].iter().filter(|&&c| c == '\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(k) = find_word(&chars[i..].iter().collect::<String>(), "fn") {
        let at = i + k;
        let name: String = chars[at + 2..]
            .iter()
            .skip_while(|c| c.is_whitespace())
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .collect();
        // The body opens at the first `{` outside parentheses; a `;` first means no body.
        let mut j = at;
        let mut paren = 0i32;
        let mut body = None;
        while j < chars.len() {
            match chars[j] {
                '(' | '[' => paren += 1,
                ')' | ']' => paren -= 1,
                ';' if paren == 0 => break,
                '{' if paren == 0 => {
                    body = Some(j);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        let Some(open) = body else {
            i = at + 2;
            continue;
        };
        let mut depth = 0;
        let mut close = open;
        for (k, c) in chars.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !name.is_empty() {
            out.push((name, line_of(at), line_of(close) - line_of(at) + 1));
        }
        // Functions inside this one are counted in it; go on after its name.
        i = at + 2;
    }
    out
}

#[test]
fn main_is_thin_and_no_function_is_too_long_to_read() {
    let main = src().join("main.rs");
    let lines = std::fs::read_to_string(&main).unwrap().lines().count();
    assert!(
        lines < MAIN_MAX_LINES,
        "src/main.rs has {lines} lines (under {MAIN_MAX_LINES} wanted)"
    );
    let mut long = Vec::new();
    let mut stack = vec![src()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                for (name, line, n) in functions(&p) {
                    seen += 1;
                    if n > FUNCTION_MAX_LINES {
                        long.push(format!("{}:{line} fn {name}: {n} lines", p.display()));
                    }
                }
            }
        }
    }
    assert!(
        seen > 200,
        "only {seen} functions read: is the reader broken?"
    );
    assert!(
        long.is_empty(),
        "functions over {FUNCTION_MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The checks themselves can fail: a cycle, a long function and an arrow up are seen.
#[test]
fn the_checks_see_what_they_are_for() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path();
    std::fs::create_dir_all(s.join("a")).unwrap();
    std::fs::write(s.join("lib.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(s.join("a/mod.rs"), "pub mod x;\npub use x::Thing;\n").unwrap();
    std::fs::write(
        s.join("a/x.rs"),
        "use crate::b::Other; // a comment naming crate::nowhere\npub struct Thing;\nconst S: &str = \"crate::b\";\n",
    )
    .unwrap();
    std::fs::write(s.join("b.rs"), "pub struct Other(crate::a::Thing);\n").unwrap();
    let krate = Crate::load(s);
    let arrows = krate.arrows();
    let names: BTreeSet<(String, String)> =
        arrows.iter().map(|(a, b)| (show(a), show(b))).collect();
    assert!(names.contains(&("a::x".into(), "b".into())), "{names:?}");
    // Through the face `a` to the file that defines Thing.
    assert!(names.contains(&("b".into(), "a::x".into())), "{names:?}");
    assert_eq!(cycles(&arrows).len(), 1);
    let long = format!(
        "fn long() {{\n{}}}\nfn short() {{}}\n",
        "    let x = 1;\n".repeat(120)
    );
    std::fs::write(s.join("long.rs"), long).unwrap();
    let f = functions(&s.join("long.rs"));
    assert_eq!(f[0].0, "long");
    assert!(f[0].2 > 100 && f[1].2 == 1, "{f:?}");
}
