//! `cpcall describe`: the built-in reference, from the catalogue. Lists of functions and
//! modules, one per line; a function's parameters (type, required, values, default), method,
//! first version, deprecation and documentation link; `--json` for the entries as they are;
//! `--search WORD`. A name the catalogue does not know is exit 2 with the closest ones.

use serde_json::{json, Value};

use crate::catalog::{self, closest, did_you_mean, Function};
use crate::error::{Error, Result};

/// What `describe` was asked: the API (`whm`, `cpanel`), up to two names, or a search.
pub struct Query<'a> {
    pub api: Option<&'a str>,
    pub name: Option<&'a str>,
    pub function: Option<&'a str>,
    pub search: Option<&'a str>,
    pub json: bool,
}

/// The text (or JSON) to print for `query`.
pub fn describe(query: &Query) -> Result<String> {
    if let Some(word) = query.search {
        return search(word, query.api, query.json);
    }
    match (query.api, query.name, query.function) {
        (None, _, _) => Ok(overview(query.json)),
        (Some("whm"), None, _) => Ok(list(catalog::WHM.iter().map(|f| ("", f)), query.json)),
        (Some("whm"), Some(name), None) => {
            let f = catalog::whm(name).ok_or_else(|| {
                unknown(
                    name,
                    "WHM API 1 function",
                    catalog::WHM.iter().map(|f| f.name),
                )
            })?;
            Ok(details("whm", None, f, query.json))
        }
        (Some("whm"), Some(_), Some(extra)) => Err(Error::usage(format!(
            "describe whm takes one function name; `{extra}` is one too many"
        ))),
        (Some(_), None, _) => Ok(modules(query.json)),
        (Some(_), Some(module), function) => {
            let m = catalog::module(module).ok_or_else(|| {
                unknown(module, "UAPI module", catalog::UAPI.iter().map(|m| m.name))
            })?;
            match function {
                None => Ok(list(m.functions.iter().map(|f| (m.name, f)), query.json)),
                Some(name) => {
                    let f = catalog::uapi(module, name).ok_or_else(|| {
                        unknown(
                            name,
                            &format!("function of UAPI module {module}"),
                            m.functions.iter().map(|f| f.name),
                        )
                    })?;
                    Ok(details("cpanel", Some(module), f, query.json))
                }
            }
        }
    }
}

fn unknown<'a>(name: &str, what: &str, names: impl Iterator<Item = &'a str>) -> Error {
    let near = closest(name, names, 3);
    Error::usage(format!(
        "no {what} named {name}{} {}",
        did_you_mean(&near),
        catalog::attribution()
    ))
}

fn overview(json: bool) -> String {
    let functions: usize = catalog::UAPI.iter().map(|m| m.functions.len()).sum();
    if json {
        return json!({"cpanel_version": catalog::VERSION, "whm": catalog::WHM.len(),
                      "uapi_modules": catalog::UAPI.len(), "uapi_functions": functions})
        .to_string()
            + "\n";
    }
    format!(
        "The catalogue of cPanel & WHM {}:\n  whm     {} WHM API 1 functions: cpcall describe whm [FUNCTION]\n  cpanel  {} UAPI functions in {} modules: cpcall describe cpanel [MODULE [FUNCTION]]\n  cpcall describe --search WORD finds functions by module, name or section.\n",
        catalog::VERSION,
        catalog::WHM.len(),
        functions,
        catalog::UAPI.len()
    )
}

/// One function a line: its name (with its module), and its documentation section.
fn list<'a>(functions: impl Iterator<Item = (&'a str, &'a Function)>, json: bool) -> String {
    let rows: Vec<(String, &Function)> = functions
        .map(|(module, f)| {
            let name = if module.is_empty() {
                f.name.to_string()
            } else {
                format!("{module} {}", f.name)
            };
            (name, f)
        })
        .collect();
    if json {
        let entries: Vec<Value> = rows
            .iter()
            .map(
                |(name, f)| json!({"name": name, "section": f.section, "deprecated": f.deprecated}),
            )
            .collect();
        return Value::Array(entries).to_string() + "\n";
    }
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(name, f)| {
            let note = if f.deprecated { " (deprecated)" } else { "" };
            format!("{name:width$}  {}{note}\n", f.section)
        })
        .collect()
}

fn modules(json: bool) -> String {
    if json {
        let entries: Vec<Value> = catalog::UAPI
            .iter()
            .map(|m| json!({"module": m.name, "functions": m.functions.iter().map(|f| f.name).collect::<Vec<_>>()}))
            .collect();
        return Value::Array(entries).to_string() + "\n";
    }
    let width = catalog::UAPI
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(0);
    catalog::UAPI
        .iter()
        .map(|m| format!("{:width$}  {} functions\n", m.name, m.functions.len()))
        .collect()
}

fn entry(api: &str, module: Option<&str>, f: &Function) -> Value {
    let params: Vec<Value> = f
        .params
        .iter()
        .map(|p| {
            let mut v = json!({"name": p.name, "type": p.kind, "required": p.required});
            if !p.values.is_empty() {
                v["enum"] = json!(p.values);
            }
            if let Some(d) = p.default {
                v["default"] = json!(d);
            }
            v
        })
        .collect();
    let mut v = json!({"api": api, "function": f.name, "section": f.section,
                       "class": f.class.name(), "class_why": f.class_why,
                       "summary": f.summary, "keywords": f.keywords,
                       "method": "POST", "documented_method": f.method,
                       "since": f.since, "deprecated": f.deprecated,
                       "replaced_by": f.replaced_by,
                       "docs": (!f.docs.is_empty()).then_some(f.docs), "params": params});
    if let Some(m) = module {
        v["module"] = json!(m);
    }
    v
}

fn details(api: &str, module: Option<&str>, f: &Function, json: bool) -> String {
    if json {
        return entry(api, module, f).to_string() + "\n";
    }
    let (title, path) = match module {
        None => (
            format!("WHM API 1 {}", f.name),
            format!("/json-api/{}?api.version=1", f.name),
        ),
        Some(m) => (
            format!("UAPI {m}::{}", f.name),
            format!("/execute/{m}/{}", f.name),
        ),
    };
    let mut out = title;
    if !f.section.is_empty() {
        out.push_str(&format!(" ({})", f.section.replace('-', " ")));
    }
    out.push('\n');
    if let Some(summary) = f.summary {
        out.push_str(&format!("  {summary}\n"));
    }
    out.push_str(&format!("  {} ({})\n", class_words(f.class), f.class_why));
    // cpcall sends POST (parameters out of URLs and logs); --get sends what the page shows.
    let sent = match f.method {
        "POST" => "POST".to_string(),
        shown => format!("POST (the documentation shows {shown}; --get sends GET)"),
    };
    let mut facts = vec![format!("{path} · {sent}")];
    if !f.since.is_empty() {
        facts.push(format!("since {}", f.since));
    }
    if f.deprecated {
        facts.push(match f.replaced_by {
            Some(by) => format!("deprecated: use {by}"),
            None => "deprecated".into(),
        });
    }
    let docs = match f.docs {
        "" => format!(
            "no page link in the catalogue: search {} on https://api.docs.cpanel.net/",
            f.name
        ),
        docs => docs.to_string(),
    };
    out.push_str(&format!("  {}\n  {docs}\n", facts.join(" · ")));
    if f.params.is_empty() {
        out.push_str("  no parameters\n");
    } else {
        out.push_str("  parameters:\n");
        let width = f.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in f.params {
            let mut line = format!("    {:width$}  {:7}", p.name, p.kind);
            if p.required {
                line.push_str("  required");
            }
            if !p.values.is_empty() {
                line.push_str(&format!("  one of: {}", p.values.join(", ")));
            }
            match p.default {
                Some("") => line.push_str("  default: \"\" (empty)"),
                Some(d) => line.push_str(&format!("  default: {d}")),
                None => {}
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.push_str(&format!("  {}\n", catalog::attribution()));
    out
}

/// `reads`, `changes the server`, `may change the server (unknown)`.
pub fn class_words(class: catalog::Class) -> &'static str {
    match class {
        catalog::Class::Read => "reads only",
        catalog::Class::Change => "changes the server",
        catalog::Class::Unknown => "may change the server (not known; treated as a change)",
    }
}

/// The texts a search looks in: module, name, section, summary and keywords, lower case.
fn haystack(module: &str, f: &Function) -> String {
    let mut text = format!(
        "{} {} {} {} {}",
        module,
        f.name,
        f.section.replace('-', " "),
        f.summary.unwrap_or(""),
        f.keywords.join(" ")
    );
    text.make_ascii_lowercase();
    // `list_pops` is found by "list pops" too.
    let spaced = text.replace(['_', '-'], " ");
    format!("{text} {spaced}")
}

/// How well `words` match a function found by all of them: per word, 3 when it is a word of
/// the name or module, or a keyword; 2 when it is a word of the summary or section; 1 when
/// it is only inside a longer word. A plural matches its singular.
fn relevance(words: &[String], module: &str, f: &Function) -> u32 {
    let lower = |t: &str| t.to_ascii_lowercase();
    let split = |t: &str| -> Vec<String> {
        lower(t)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let same = |a: &str, b: &str| {
        a == b || a.strip_suffix('s') == Some(b) || b.strip_suffix('s') == Some(a)
    };
    let mut strong = split(&format!("{module} {}", f.name));
    strong.extend(f.keywords.iter().flat_map(|k| split(k)));
    let mut weak = split(f.summary.unwrap_or(""));
    weak.extend(split(f.section));
    words
        .iter()
        .map(|w| {
            if strong.iter().any(|t| same(t, w)) {
                3
            } else if weak.iter().any(|t| same(t, w)) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// How many words start a part of the name, as WHM abbreviates them (`list accounts` in
/// `listaccts`, `zone record` in `addzonerecord`): their first three letters are in it.
fn in_name(words: &[String], name: &str) -> u32 {
    let name = name.to_ascii_lowercase().replace('_', "");
    words
        .iter()
        .filter(|w| {
            w.len() >= 3 && name.contains(&w[..w.char_indices().nth(3).map_or(w.len(), |(i, _)| i)])
        })
        .count() as u32
}

/// Functions where every word of `query` is found (module, name, section, summary, keywords),
/// the best matches first.
fn search(query: &str, api: Option<&str>, json: bool) -> Result<String> {
    let words: Vec<String> = query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.is_empty() {
        return Err(Error::usage(
            "describe --search needs a word (a module, a function or a section such as email)",
        ));
    }
    let word = words.join(" ");
    let hit = |module: &str, f: &Function| {
        let text = haystack(module, f);
        words.iter().all(|w| text.contains(w.as_str()))
    };
    let mut found: Vec<(&str, &str, &Function)> = Vec::new();
    if api != Some("cpanel") {
        found.extend(
            catalog::WHM
                .iter()
                .filter(|f| hit("", f))
                .map(|f| ("whm", "", f)),
        );
    }
    if api != Some("whm") {
        for m in catalog::UAPI {
            found.extend(
                m.functions
                    .iter()
                    .filter(|f| hit(m.name, f))
                    .map(|f| ("cpanel", m.name, f)),
            );
        }
    }
    if found.is_empty() {
        return Err(Error::usage(format!(
            "no function's module, name, section, summary or keywords contain all of \"{word}\" {}: try fewer words (cPanel API 2 functions, such as Cron's, are not in it: cpcall cpanel --api2 Cron listcron)",
            catalog::attribution()
        )));
    }
    // Best first: how well the words match (see `relevance`), then the most used, then how
    // many words are in the name, then not deprecated, then the plainer (shorter) name:
    // `listaccts` before `listlockedaccounts`.
    found.sort_by_key(|(_, m, f)| {
        (
            std::cmp::Reverse(relevance(&words, m, f)),
            !f.common,
            std::cmp::Reverse(in_name(&words, f.name)),
            f.deprecated,
            f.name.len(),
        )
    });
    if json {
        let entries: Vec<Value> = found
            .iter()
            .map(|(api, m, f)| entry(api, (!m.is_empty()).then_some(*m), f))
            .collect();
        return Ok(Value::Array(entries).to_string() + "\n");
    }
    let rows: Vec<(String, &str, catalog::Class)> = found
        .iter()
        .map(|(api, m, f)| {
            let name = if m.is_empty() {
                format!("{api} {}", f.name)
            } else {
                format!("{api} {m} {}", f.name)
            };
            let about = f.summary.unwrap_or(f.section);
            (name, about, f.class)
        })
        .collect();
    let width = rows.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    Ok(rows
        .iter()
        .map(|(name, about, class)| format!("{name:width$}  {:7}  {about}\n", class.name()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q<'a>(api: Option<&'a str>, name: Option<&'a str>, function: Option<&'a str>) -> Query<'a> {
        Query {
            api,
            name,
            function,
            search: None,
            json: false,
        }
    }

    #[test]
    fn describe_table() {
        let cases: &[(Query, std::result::Result<&str, &str>)] = &[
            (q(None, None, None), Ok("625 WHM API 1 functions")),
            (q(Some("whm"), None, None), Ok("listaccts")),
            (
                q(Some("whm"), Some("listaccts"), None),
                Ok("searchmethod  string   one of: exact, regex"),
            ),
            (q(Some("whm"), Some("createacct"), None), Ok("required")),
            (
                q(Some("whm"), Some("listacct"), None),
                Err("no WHM API 1 function named listacct; did you mean listaccts"),
            ),
            (q(Some("cpanel"), None, None), Ok("Email")),
            (
                q(Some("cpanel"), Some("Email"), None),
                Ok("Email list_pops"),
            ),
            (
                q(Some("cpanel"), Some("Emial"), None),
                Err("did you mean Email"),
            ),
            (
                q(Some("cpanel"), Some("Email"), Some("add_pop")),
                Ok("/execute/Email/add_pop · POST (the documentation shows GET"),
            ),
            (
                q(Some("cpanel"), Some("Email"), Some("add_pp")),
                Err("did you mean add_pop"),
            ),
        ];
        for (query, want) in cases {
            match (describe(query), want) {
                (Ok(text), Ok(w)) => assert!(text.contains(w), "{w}: {text}"),
                (Err(e), Err(w)) => {
                    assert!(e.message().contains(w), "{e}");
                    assert_eq!(e.exit, crate::error::Exit::Usage);
                }
                (got, want) => panic!("{want:?}: {:?}", got.map(|t| t.len())),
            }
        }
    }

    #[test]
    fn json_is_the_entry() {
        let mut query = q(Some("whm"), Some("listaccts"), None);
        query.json = true;
        let v: Value = serde_json::from_str(&describe(&query).unwrap()).unwrap();
        assert_eq!(v["function"], "listaccts");
        assert_eq!(v["params"][1]["enum"], json!(["exact", "regex"]));
        let search = Query {
            search: Some("DNS"),
            ..q(None, None, None)
        };
        let text = describe(&search).unwrap();
        assert!(text.contains("cpanel DNS parse_zone"), "{text}");
    }
}
