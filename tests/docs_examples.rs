//! README.md and docs/*.md agree with the binary (no container is started):
//!
//! - every fenced `$ cdc-harness sql ...` / `$ cdc-harness lint ...` example is run from the
//!   repository's root and its shown output must match the real one (stdout, then stderr;
//!   trailing whitespace ignored). In a shown output a line `...` stands for any number of lines
//!   left out, and a line ending in ` ...` for a line that begins with the text before it;
//! - every `cdc-harness` (or `cargo run --`) command line in a `sh`, `console`, `text` or untagged
//!   block names subcommands that `--help` lists, and only `--flags` its `--help` shows;
//! - README.md has at most 320 lines;
//! - every relative link points at an existing file, and its `#anchor` at a heading there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const README_MAX_LINES: usize = 320;

fn docs() -> Vec<(PathBuf, String)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    paths.sort();
    paths.insert(0, Path::new(ROOT).join("README.md"));
    paths.into_iter().map(|path| (path.clone(), std::fs::read_to_string(path).unwrap())).collect()
}

/// A fenced code block: its info string, the file line of its first content line, its lines.
struct Block<'a> {
    lang: &'a str,
    line: usize,
    lines: Vec<&'a str>,
}

fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        match (open.as_mut(), line.strip_prefix("```")) {
            (None, Some(lang)) => {
                open = Some(Block { lang: lang.trim(), line: i + 2, lines: vec![] })
            }
            (Some(_), Some(_)) => found.extend(open.take()),
            (Some(block), None) => block.lines.push(line),
            (None, None) => {}
        }
    }
    found
}

/// Lines outside code blocks.
fn prose(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        fenced ^= line.starts_with("```");
        !fenced && !line.starts_with("```")
    })
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cdc-harness"))
        .args(args)
        .current_dir(ROOT)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Shown output against real output, line by line (see the module's conventions).
fn matches(shown: &[&str], real: &[&str]) -> bool {
    match shown.split_first() {
        None => real.is_empty(),
        Some((&"...", rest)) => (0..=real.len()).any(|skip| matches(rest, &real[skip..])),
        Some((line, rest)) => {
            let fits = |real: &str| match line.strip_suffix(" ...") {
                Some(start) => real.starts_with(start),
                None => real == *line,
            };
            real.first().is_some_and(|first| fits(first)) && matches(rest, &real[1..])
        }
    }
}

/// Lines without trailing whitespace, and without trailing empty lines.
fn trimmed<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut lines: Vec<&str> = lines.map(str::trim_end).collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

#[test]
fn sql_and_lint_examples_show_the_real_output() {
    let mut checked = 0;
    let mut drifted = Vec::new();
    for (path, text) in docs() {
        for block in blocks(&text) {
            for (i, line) in block.lines.iter().enumerate() {
                let Some(args) = line.strip_prefix("$ cdc-harness ") else { continue };
                let args: Vec<&str> = args.split_whitespace().collect();
                if !matches!(args.first(), Some(&"sql" | &"lint")) {
                    continue;
                }
                let rest = &block.lines[i + 1..];
                let end = rest.iter().position(|l| l.starts_with("$ ")).unwrap_or(rest.len());
                let shown = trimmed(rest[..end].iter().copied());
                let real = run(&args);
                checked += 1;
                if !matches(&shown, &trimmed(real.lines())) {
                    drifted.push(format!(
                        "{}:{}: `cdc-harness {}` prints\n{real}\nbut the docs show\n{}\n",
                        path.display(),
                        block.line + i,
                        args.join(" "),
                        shown.join("\n")
                    ));
                }
            }
        }
    }
    assert!(checked >= 5, "only {checked} sql/lint examples found");
    assert!(drifted.is_empty(), "{} example(s) drifted:\n{}", drifted.len(), drifted.join("\n"));
}

/// The arguments of a `cdc-harness` command line (a `$ ` prompt, `VAR=value` words, `cargo run
/// --` and a trailing `# comment` left out); `None` for any other line.
fn command_args(line: &str) -> Option<Vec<&str>> {
    let line = line.split(" #").next().unwrap();
    let is_env = |w: &&str| {
        w.split_once('=')
            .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    };
    let mut words = line.split_whitespace().skip_while(is_env);
    match words.next()? {
        "cdc-harness" => {}
        "cargo" if words.next() == Some("run") && words.next() == Some("--") => {}
        _ => return None,
    }
    Some(words.collect())
}

/// Command lines of a block, `\` continuations joined; in a `console` block only `$ ` lines.
fn command_lines(block: &Block) -> Vec<String> {
    let mut commands: Vec<String> = Vec::new();
    let mut continues = false;
    for line in &block.lines {
        let text = line.trim_end_matches('\\').trim();
        if continues {
            commands.last_mut().unwrap().push_str(&format!(" {text}"));
        } else if block.lang != "console" {
            commands.push(text.to_string());
        } else if let Some(command) = text.strip_prefix("$ ") {
            commands.push(command.to_string());
        } else {
            continue; // console output
        }
        continues = line.ends_with('\\');
    }
    commands
}

fn help_commands(help: &str) -> Vec<&str> {
    let listed = help.lines().skip_while(|l| !l.starts_with("Commands:")).skip(1);
    listed
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

fn mentions_flag(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(at, _)| {
        !help[at + flag.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '-')
    })
}

#[test]
fn shown_commands_use_real_subcommands_and_flags() {
    let mut helps: HashMap<Vec<String>, String> = HashMap::new();
    let mut help = |path: &[String]| {
        let key = path.to_vec();
        helps
            .entry(key)
            .or_insert_with(|| {
                let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
                args.push("--help");
                run(&args)
            })
            .clone()
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, text) in docs() {
        for block in blocks(&text) {
            if !["sh", "console", "text", ""].contains(&block.lang) {
                continue;
            }
            for line in command_lines(&block) {
                let Some(words) = command_args(&line) else { continue };
                checked += 1;
                let at = format!("{}: block at line {}: `{line}`", path.display(), block.line);
                let mut subcommand: Vec<String> = Vec::new();
                let mut words = words.into_iter();
                loop {
                    let listed = help(&subcommand);
                    let commands = help_commands(&listed);
                    if commands.is_empty() {
                        break;
                    }
                    match words.next() {
                        Some(word) if commands.contains(&word) => subcommand.push(word.into()),
                        other => {
                            wrong.push(format!("{at}: no subcommand {other:?} in {commands:?}"));
                            break;
                        }
                    }
                }
                let listed = help(&subcommand);
                for word in words {
                    let word = word.trim_start_matches(['[', '(']);
                    if !word.starts_with("--") || word == "--" {
                        continue;
                    }
                    let name: String =
                        word.chars().take_while(|c| c.is_alphanumeric() || *c == '-').collect();
                    if !mentions_flag(&listed, &name) {
                        wrong.push(format!(
                            "{at}: `cdc-harness {}` has no {name}",
                            subcommand.join(" ")
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 20, "only {checked} command lines found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn readme_is_a_front_page() {
    let lines = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap().lines().count();
    assert!(lines <= README_MAX_LINES, "README.md has {lines} lines, at most {README_MAX_LINES}");
}

/// GitHub's anchors of a Markdown file's headings.
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    prose(text)
        .filter(|line| line.starts_with('#'))
        .filter_map(|line| line.trim_start_matches('#').strip_prefix(' '))
        .map(|heading| {
            let slug: String = heading
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect();
            let n = seen.entry(slug.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                slug
            } else {
                format!("{slug}-{}", *n - 1)
            }
        })
        .collect()
}

#[test]
fn relative_links_point_at_existing_files_and_headings() {
    let mut checked = 0;
    let mut broken = Vec::new();
    for (path, text) in docs() {
        for line in prose(&text) {
            for link in line.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
                if link.starts_with("http://")
                    || link.starts_with("https://")
                    || link.starts_with("mailto:")
                {
                    continue;
                }
                checked += 1;
                let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
                let target =
                    if file.is_empty() { path.clone() } else { path.parent().unwrap().join(file) };
                if !target.exists() {
                    broken.push(format!("{}: {link}: no such file", path.display()));
                } else if !anchor.is_empty() {
                    let text = std::fs::read_to_string(&target).unwrap_or_default();
                    if !anchors(&text).iter().any(|a| a == anchor) {
                        broken.push(format!("{}: {link}: no heading #{anchor}", path.display()));
                    }
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} relative links found");
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
