//! The API catalogue: every WHM API 1 function and every UAPI module and function of one cPanel
//! & WHM version, with their parameters (`catalog/`, built into static tables by `build.rs`).
//!
//! The command line uses it to complete, describe and check calls; the request path does not
//! depend on it, since a server may be newer than the catalogue.

/// A function of WHM API 1 or UAPI, as the catalogue knows it.
#[derive(Debug)]
pub struct Function {
    /// Its name (`listaccts`; for UAPI without the module: `list_pops`).
    pub name: &'static str,
    /// The documentation's section (`account-management`); empty when it has none.
    pub section: &'static str,
    /// The HTTP method the documentation shows.
    pub method: &'static str,
    /// The first cPanel & WHM version with it; empty when unknown.
    pub since: &'static str,
    /// The documentation calls it deprecated.
    pub deprecated: bool,
    /// Its page in cPanel's documentation.
    pub docs: &'static str,
    /// Whether it reads or changes the server (catalog/classes.json).
    pub class: Class,
    /// Why: the rule or the reviewed exception that decided.
    pub class_why: &'static str,
    /// The project's one-line summary (catalog/summaries.json), for the most used functions.
    pub summary: Option<&'static str>,
    /// Words to find it by (catalog/summaries.json).
    pub keywords: &'static [&'static str],
    /// One of the functions hosting admins use most (catalog/summaries.json `common`).
    pub common: bool,
    /// What replaces it, when it is deprecated and the documentation names a successor
    /// (catalog/deprecated.json).
    pub replaced_by: Option<&'static str>,
    /// Its parameters, as documented.
    pub params: &'static [Param],
}

/// What a call does to the server, as far as the catalogue can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// It only reads: safe to retry, allowed under `--read-only`.
    Read,
    /// It changes something.
    Change,
    /// Nothing says: treated as a change.
    Unknown,
}

impl Class {
    /// `read`, `change` or `unknown`, as `describe --json` and messages say it.
    pub fn name(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Change => "change",
            Class::Unknown => "unknown",
        }
    }
}

/// One parameter of a function.
#[derive(Debug)]
pub struct Param {
    /// Its name; a placeholder (`feature name`) or a pattern (`MXCHECK-*`) for some.
    pub name: &'static str,
    /// string, integer, number, boolean, array or any.
    pub kind: &'static str,
    /// The call fails without it.
    pub required: bool,
    /// The values it may take, when the documentation lists them.
    pub values: &'static [&'static str],
    /// The value the server assumes when it is not given.
    pub default: Option<&'static str>,
    /// The parameter this one is an older spelling of (`removeacct`'s `user` for `username`):
    /// catalog/aliases.json, reviewed by hand.
    pub alias_of: Option<&'static str>,
}

/// A UAPI module and its functions.
#[derive(Debug)]
pub struct Module {
    /// Its name (`Email`).
    pub name: &'static str,
    /// Its functions, sorted by name.
    pub functions: &'static [Function],
}

include!(concat!(env!("OUT_DIR"), "/catalog.rs"));

/// `(catalogue of cPanel & WHM 138)`: where the catalogue's word comes from, in messages.
pub fn attribution() -> String {
    format!("(catalogue of cPanel & WHM {VERSION})")
}

/// The WHM API 1 function `name`.
pub fn whm(name: &str) -> Option<&'static Function> {
    WHM.binary_search_by(|f| f.name.cmp(name))
        .ok()
        .map(|i| &WHM[i])
}

/// The UAPI module `name`.
pub fn module(name: &str) -> Option<&'static Module> {
    UAPI.binary_search_by(|m| m.name.cmp(name))
        .ok()
        .map(|i| &UAPI[i])
}

/// The UAPI function `function` of `module_name`.
pub fn uapi(module_name: &str, function: &str) -> Option<&'static Function> {
    let functions = module(module_name)?.functions;
    functions
        .binary_search_by(|f| f.name.cmp(function))
        .ok()
        .map(|i| &functions[i])
}

impl Function {
    /// Whether the function takes keys of the caller's choosing: its documentation names a
    /// placeholder ("feature name") rather than parameters, or it passes them on
    /// (`uapi_cpanel`, `cpanel` hand theirs to the cPanel function they call).
    pub fn open(&self) -> bool {
        matches!(self.name, "uapi_cpanel" | "cpanel")
            || self.params.iter().any(|p| p.name.contains(' '))
    }

    /// A name completion can offer as it is (not a placeholder or a pattern).
    pub fn offered(param: &Param) -> bool {
        !param.name.contains([' ', '*'])
    }

    /// The parameter a key sent as `key` stands for: the name itself, cPanel's numbered form of
    /// a repeated key (`domain-0`, `domain-1`), or a documented pattern (`MXCHECK-*`).
    pub fn param(&self, key: &str) -> Option<&'static Param> {
        let base = match key.rsplit_once('-') {
            Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
            _ => key,
        };
        self.params.iter().find(|p| {
            p.name == key
                || p.name == base
                || p.name
                    .strip_suffix('*')
                    .is_some_and(|prefix| key.starts_with(prefix))
        })
    }
}

/// The names among `candidates` closest to `word`, best first (at most `n`): the misspellings
/// and near misses a person makes (`serach`, `list_pop`, `email`), not every name.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    // Nobody misspells a 100 kB name: comparing one costs seconds.
    if word.len() > 128 {
        return Vec::new();
    }
    let lower = word.to_ascii_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let c_lower = c.to_ascii_lowercase();
            let mut score = strsim::normalized_damerau_levenshtein(&lower, &c_lower)
                .max(strsim::jaro_winkler(&lower, &c_lower) - 0.1);
            if !lower.is_empty() && (c_lower.contains(&lower) || lower.contains(&c_lower)) {
                score = score.max(0.75);
            }
            (score, c)
        })
        .filter(|(score, _)| *score >= 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// " (did you mean a, b?)", or nothing.
pub fn did_you_mean(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        names => format!("; did you mean {}?", names.join(", ")),
    }
}

/// Values the catalogue lists the set of, given outside it: `service=cpanel` for
/// `create_user_session`, whose `service` is one of cpaneld, whostmgrd, webmaild. A repeated
/// key (`key-0`) is held to its parameter's set too.
pub fn check_values(function: &Function, label: &str, params: &[(String, String)]) -> Vec<String> {
    let mut findings = Vec::new();
    for (key, value) in params {
        let Some(p) = function.param(key).filter(|p| !p.values.is_empty()) else {
            continue;
        };
        if p.values.contains(&value.as_str()) {
            continue;
        }
        let names = closest(value, p.values.iter().copied(), 1);
        let shown: Vec<&str> = p.values.iter().take(8).copied().collect();
        let more = if p.values.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        findings.push(format!(
            "{key}={} is not a value {label} takes for {}: one of {}{more}{} {}",
            shorten(value),
            p.name,
            shown.join(", "),
            did_you_mean(&names),
            attribution()
        ));
        if findings.len() >= MAX_NAMED {
            break;
        }
    }
    findings
}

/// A value as messages show it: at most 40 characters.
fn shorten(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_string(),
    }
}

/// What the catalogue says of a name it does not know: `listacct is not a WHM API 1
/// function; did you mean listaccts?`; `None` when it knows it.
pub fn unknown_whm(function: &str) -> Option<String> {
    if whm(function).is_some() {
        return None;
    }
    let names = closest(function, WHM.iter().map(|f| f.name), 3);
    Some(format!(
        "{function} is not a WHM API 1 function{}",
        did_you_mean(&names)
    ))
}

/// The same for a UAPI module and function.
pub fn unknown_uapi(module_name: &str, function: &str) -> Option<String> {
    match module(module_name) {
        None => {
            let names = closest(module_name, UAPI.iter().map(|m| m.name), 3);
            Some(format!(
                "{module_name} is not a UAPI module{}",
                did_you_mean(&names)
            ))
        }
        Some(m) if m.functions.iter().all(|f| f.name != function) => {
            let names = closest(function, m.functions.iter().map(|f| f.name), 3);
            Some(format!(
                "{module_name} has no UAPI function {function}{}",
                did_you_mean(&names)
            ))
        }
        Some(_) => None,
    }
}

/// The most unknown parameters named one by one; more are counted on one line.
const MAX_NAMED: usize = 3;

/// What the catalogue has to say about the parameters of a call of `function` (named `label`
/// in messages): keys it does not take, and required ones missing. `api.*` options are
/// cPanel's own, for every function, and never questioned.
pub fn check_params(function: &Function, label: &str, keys: &[&str]) -> Vec<String> {
    let mut findings = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    if !function.open() {
        let mut seen = std::collections::HashSet::new();
        for key in keys.iter().filter(|k| !k.starts_with("api.")) {
            if function.param(key).is_none() && seen.insert(*key) {
                unknown.push(key);
            }
        }
    }
    // A few are each named with the closest name; many (a generated call gone wrong) are
    // one line with their count, not thousands of lines.
    if unknown.len() <= MAX_NAMED {
        for key in &unknown {
            let names = closest(key, function.params.iter().map(|p| p.name), 1);
            findings.push(format!(
                "{key} is not a parameter of {label}{} {}",
                did_you_mean(&names),
                attribution()
            ));
        }
    } else {
        findings.push(format!(
            "{} parameters are not parameters of {label}: {}, … {}",
            unknown.len(),
            unknown[..MAX_NAMED].join(", "),
            attribution()
        ));
    }
    for p in function.params.iter().filter(|p| p.required) {
        let stands_for = |q: &Param| q.name == p.name || q.alias_of == Some(p.name);
        if !keys
            .iter()
            .any(|k| function.param(k).is_some_and(stands_for))
        {
            findings.push(format!(
                "{label} needs {}, which is missing {}",
                p.name,
                attribution()
            ));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(whm("listaccts").map(|f| f.name), Some("listaccts"));
        assert!(whm("list_accts").is_none());
        assert_eq!(
            uapi("Email", "list_pops").map(|f| f.name),
            Some("list_pops")
        );
        assert!(
            uapi("email", "list_pops").is_none(),
            "module names are case-sensitive"
        );
        let listaccts = whm("listaccts").unwrap();
        assert_eq!(listaccts.section, "account-management");
        assert_eq!(
            listaccts.param("searchmethod").map(|p| p.values),
            Some(&["exact", "regex"][..])
        );
        assert!(
            WHM.windows(2).all(|w| w[0].name < w[1].name),
            "sorted for binary search"
        );
        assert!(UAPI.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(WHM.len(), 625);
        assert_eq!(UAPI.iter().map(|m| m.functions.len()).sum::<usize>(), 657);
    }

    #[test]
    fn check_table() {
        let listaccts = whm("listaccts").unwrap();
        let createacct = whm("createacct").unwrap();
        let cases: &[(&Function, &[&str], &[&str])] = &[
            (listaccts, &["search", "searchtype"], &[]),
            (listaccts, &["serach"], &["serach is not a parameter of listaccts; did you mean search? (catalogue of cPanel & WHM 138)"]),
            (listaccts, &["api.chunk.enable", "api.filter.a.field"], &[]),
            (createacct, &["username", "domain"], &[]),
            (createacct, &["domain"], &["createacct needs username, which is missing"]),
            (listaccts, &["search-0", "search-1"], &[]),
        ];
        for (function, keys, want) in cases {
            let got = check_params(function, function.name, keys);
            assert_eq!(got.len(), want.len(), "{keys:?}: {got:?}");
            for (g, w) in got.iter().zip(want.iter()) {
                assert!(g.starts_with(w) || g.contains(w), "{g} / {w}");
            }
        }
    }

    #[test]
    fn closest_table() {
        let names = ["search", "searchmethod", "searchtype", "want"];
        assert_eq!(closest("serach", names, 1), ["search"]);
        assert_eq!(closest("searchtyp", names, 1), ["searchtype"]);
        assert!(closest("zzzzzz", names, 3).is_empty());
        let functions = WHM.iter().map(|f| f.name);
        assert_eq!(closest("listacct", functions, 1), ["listaccts"]);
    }
}
