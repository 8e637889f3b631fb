//! Turns `catalog/catalog.json` (the API catalogue, see catalog/README.md) into static Rust
//! tables, so the binary knows every function and parameter without parsing 540 kB of JSON
//! on each run: a lookup is a binary search in data that is already there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
struct Catalog {
    source: Source,
    whm: BTreeMap<String, Function>,
    uapi: BTreeMap<String, BTreeMap<String, Function>>,
}

#[derive(Deserialize)]
struct Source {
    cpanel_version: String,
}

#[derive(Deserialize)]
struct Function {
    #[serde(default)]
    docs: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    params: Vec<Param>,
}

#[derive(Deserialize)]
struct Param {
    #[serde(skip)]
    alias_of: Option<String>,
    name: String,
    #[serde(default)]
    required: bool,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(rename = "enum", default)]
    values: Vec<String>,
    #[serde(default)]
    default: Option<String>,
}

/// `catalog/aliases.json`: per function, an older spelling of a parameter → the parameter.
/// catalog/classes.json: the rules that tell reads from changes, and the reviewed exceptions.
#[derive(Deserialize)]
struct Classes {
    read_words: Vec<String>,
    change_words: Vec<String>,
    read_suffixes: Vec<String>,
    exceptions: Exceptions,
}

#[derive(Deserialize)]
struct Exceptions {
    whm: BTreeMap<String, Exception>,
    uapi: BTreeMap<String, Exception>,
}

#[derive(Deserialize)]
struct Exception {
    class: String,
    why: String,
}

/// catalog/summaries.json: the project's own one-line summaries and search keywords.
#[derive(Deserialize, Default)]
struct Summaries {
    whm: BTreeMap<String, Summary>,
    uapi: BTreeMap<String, Summary>,
}

#[derive(Deserialize, Clone)]
struct Summary {
    summary: String,
    #[serde(default)]
    keywords: Vec<String>,
    /// One of the functions hosting admins use most: found first among equal matches.
    #[serde(default)]
    common: bool,
}

/// catalog/deprecated.json: what replaces a deprecated function.
#[derive(Deserialize, Default)]
struct Deprecations {
    whm: BTreeMap<String, Replacement>,
    uapi: BTreeMap<String, Replacement>,
}

#[derive(Deserialize)]
struct Replacement {
    replaced_by: Option<String>,
}

/// What the build knows of a function besides the catalogue's facts.
#[derive(Default)]
struct Extra {
    class: &'static str,
    why: String,
    summary: Option<Summary>,
    replaced_by: Option<String>,
}

impl Classes {
    /// The class of `name` and the reason: an exception, else the vendor's marker, else the
    /// first word's rule, else a suffix; `unknown` when nothing says.
    fn of(
        &self,
        exception: Option<&Exception>,
        vendor: Option<bool>,
        name: &str,
    ) -> (&'static str, String) {
        if let Some(e) = exception {
            let class = match e.class.as_str() {
                "read" => "Read",
                "change" => "Change",
                "unknown" => "Unknown",
                other => panic!("classes.json: class {other:?} is not read, change or unknown"),
            };
            return (class, format!("reviewed: {}", e.why));
        }
        match vendor {
            Some(true) => return ("Read", "cPanel's API document marks it read-only".into()),
            Some(false) => {
                return (
                    "Change",
                    "cPanel's API document marks it as changing data".into(),
                )
            }
            None => {}
        }
        let bare = name.trim_start_matches('_').to_ascii_lowercase();
        let is = |words: &[String], w: &str| words.iter().any(|x| x == w);
        // A snake_case name: its first word that is a verb decides (`list_pops`,
        // `api_token_create`, `backup_config_get`).
        if bare.contains('_') {
            for w in bare.split('_') {
                if is(&self.change_words, w) {
                    return ("Change", format!("its name says {w}"));
                }
                if is(&self.read_words, w) {
                    return ("Read", format!("its name says {w}"));
                }
            }
        } else {
            // A WHM name in one word (`listaccts`, `unsuspendacct`): the longest verb it
            // starts with.
            let starts = |words: &[String]| {
                words
                    .iter()
                    .filter(|w| bare.starts_with(w.as_str()))
                    .map(|w| w.len())
                    .max()
            };
            match (starts(&self.read_words), starts(&self.change_words)) {
                (Some(r), Some(c)) if c >= r => {
                    return ("Change", format!("its name says {}", &bare[..c]))
                }
                (Some(r), _) => return ("Read", format!("its name says {}", &bare[..r])),
                (None, Some(c)) => return ("Change", format!("its name says {}", &bare[..c])),
                (None, None) => {}
            }
        }
        if let Some(s) = self
            .read_suffixes
            .iter()
            .find(|s| bare.ends_with(s.as_str()))
        {
            return ("Read", format!("its name ends with {s}"));
        }
        (
            "Unknown",
            "no rule of catalog/classes.json says".to_string(),
        )
    }
}

/// catalog/vendor_readonly.json: cPanel's own `x-readonly` marker, by function.
#[derive(Deserialize, Default)]
struct VendorReadonly {
    whm: BTreeMap<String, bool>,
    uapi: BTreeMap<String, bool>,
}

#[derive(Deserialize)]
struct Aliases {
    whm: BTreeMap<String, BTreeMap<String, String>>,
    uapi: BTreeMap<String, BTreeMap<String, String>>,
}

fn main() {
    println!("cargo:rerun-if-changed=catalog/catalog.json");
    println!("cargo:rerun-if-changed=catalog/aliases.json");
    println!("cargo:rerun-if-changed=catalog/classes.json");
    println!("cargo:rerun-if-changed=catalog/summaries.json");
    println!("cargo:rerun-if-changed=catalog/deprecated.json");
    println!("cargo:rerun-if-changed=catalog/vendor_readonly.json");
    let classes: Classes = serde_json::from_str(
        &std::fs::read_to_string("catalog/classes.json").expect("catalog/classes.json"),
    )
    .expect("catalog/classes.json is valid");
    let summaries: Summaries = std::fs::read_to_string("catalog/summaries.json")
        .map(|t| serde_json::from_str(&t).expect("catalog/summaries.json is valid"))
        .unwrap_or_default();
    let vendor: VendorReadonly = std::fs::read_to_string("catalog/vendor_readonly.json")
        .map(|t| serde_json::from_str(&t).expect("catalog/vendor_readonly.json is valid"))
        .unwrap_or_default();
    let deprecations: Deprecations = std::fs::read_to_string("catalog/deprecated.json")
        .map(|t| serde_json::from_str(&t).expect("catalog/deprecated.json is valid"))
        .unwrap_or_default();
    let text = std::fs::read_to_string("catalog/catalog.json").expect("catalog/catalog.json");
    let mut catalog: Catalog = serde_json::from_str(&text).expect("catalog/catalog.json is valid");
    let aliases = std::fs::read_to_string("catalog/aliases.json").expect("catalog/aliases.json");
    let aliases: Aliases = serde_json::from_str(&aliases).expect("catalog/aliases.json is valid");
    for (name, table) in &aliases.whm {
        let f = catalog
            .whm
            .get_mut(name)
            .expect("aliases.json names a WHM function the catalogue has");
        apply_aliases(f, table);
    }
    for (key, table) in &aliases.uapi {
        let (module, name) = key
            .split_once("::")
            .expect("aliases.json: UAPI entries are MODULE::FUNCTION");
        let f = catalog
            .uapi
            .get_mut(module)
            .and_then(|m| m.get_mut(name))
            .expect("aliases.json names a UAPI function the catalogue has");
        apply_aliases(f, table);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// The cPanel & WHM version the catalogue describes.\npub const VERSION: &str = {:?};\n",
        catalog.source.cpanel_version
    );
    out.push_str("/// WHM API 1 functions, sorted by name.\npub static WHM: &[Function] = &[\n");
    let known = |key: &str| -> bool {
        match key.split_once("::") {
            Some((m, n)) => catalog.uapi.get(m).is_some_and(|fs| fs.contains_key(n)),
            None => catalog.whm.contains_key(key),
        }
    };
    for (file, keys) in [
        (
            "classes.json",
            classes
                .exceptions
                .whm
                .keys()
                .chain(classes.exceptions.uapi.keys())
                .collect::<Vec<_>>(),
        ),
        (
            "summaries.json",
            summaries.whm.keys().chain(summaries.uapi.keys()).collect(),
        ),
        (
            "vendor_readonly.json",
            vendor.whm.keys().chain(vendor.uapi.keys()).collect(),
        ),
        (
            "deprecated.json",
            deprecations
                .whm
                .keys()
                .chain(deprecations.uapi.keys())
                .collect(),
        ),
    ] {
        for key in keys {
            assert!(
                known(key),
                "catalog/{file} names {key}, which the catalogue does not have"
            );
        }
    }
    for r in deprecations.whm.values().chain(deprecations.uapi.values()) {
        if let Some(by) = &r.replaced_by {
            assert!(
                known(by),
                "catalog/deprecated.json: {by} is not in the catalogue"
            );
        }
    }
    let extra = |key: &str, whm: bool, name: &str| -> Extra {
        let (exceptions, sums, deps) = match whm {
            true => (&classes.exceptions.whm, &summaries.whm, &deprecations.whm),
            false => (
                &classes.exceptions.uapi,
                &summaries.uapi,
                &deprecations.uapi,
            ),
        };
        let marks = match whm {
            true => &vendor.whm,
            false => &vendor.uapi,
        };
        let (class, why) = classes.of(exceptions.get(key), marks.get(key).copied(), name);
        Extra {
            class,
            why,
            summary: sums.get(key).cloned(),
            replaced_by: deps.get(key).and_then(|r| r.replaced_by.clone()),
        }
    };
    for (name, f) in &catalog.whm {
        function(&mut out, name, f, &extra(name, true, name));
    }
    out.push_str("];\n\n/// UAPI modules, sorted by name, each with its functions sorted by name.\npub static UAPI: &[Module] = &[\n");
    for (module, functions) in &catalog.uapi {
        let _ = writeln!(out, "    Module {{ name: {module:?}, functions: &[");
        for (name, f) in functions {
            let key = format!("{module}::{name}");
            function(&mut out, name, f, &extra(&key, false, name));
        }
        out.push_str("    ] },\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalog.rs");
    std::fs::write(dest, out).expect("write catalog.rs");
}

/// Marks each alias of `table` (both parameters must be the function's) with what it stands for.
fn apply_aliases(f: &mut Function, table: &BTreeMap<String, String>) {
    for (alias, canonical) in table {
        assert!(
            f.params.iter().any(|p| &p.name == canonical),
            "aliases.json: {canonical} is no parameter of its function"
        );
        let param = f
            .params
            .iter_mut()
            .find(|p| &p.name == alias)
            .expect("aliases.json: the alias is a parameter of its function");
        param.alias_of = Some(canonical.clone());
    }
}

fn function(out: &mut String, name: &str, f: &Function, extra: &Extra) {
    // The documentation's section is the folder of its page. The source cut 74 links short at
    // a ")" in the section name ("…/spam-prevention-(boxtrapper"): those keep the section,
    // repaired, and lose the link rather than print a broken one.
    let (section, docs) = match f.docs.strip_suffix(".md") {
        Some(_) => {
            let section = f
                .docs
                .rsplit('/')
                .nth(1)
                .filter(|s| !s.ends_with(".openapi"));
            (section.unwrap_or("").to_string(), f.docs.as_str())
        }
        None => {
            let cut = f.docs.rsplit('/').next().unwrap_or("");
            let section = if cut.contains('(') {
                format!("{cut})")
            } else {
                String::new()
            };
            (section, "")
        }
    };
    let (summary, keywords, common) = match &extra.summary {
        Some(s) => (Some(s.summary.as_str()), s.keywords.clone(), s.common),
        None => (None, Vec::new(), false),
    };
    let _ = write!(
        out,
        "    Function {{ name: {name:?}, section: {section:?}, method: {:?}, since: {:?}, deprecated: {}, docs: {:?}, class: Class::{}, class_why: {:?}, summary: {:?}, keywords: &{:?}, common: {}, replaced_by: {:?}, params: &[",
        f.method,
        f.since.as_deref().unwrap_or(""),
        f.deprecated,
        docs,
        extra.class,
        extra.why,
        summary,
        keywords,
        common,
        extra.replaced_by,
    );
    for p in &f.params {
        let _ = write!(
            out,
            "Param {{ name: {:?}, kind: {:?}, required: {}, values: &{:?}, default: {:?}, alias_of: {:?} }}, ",
            p.name, p.kind, p.required, p.values, p.default, p.alias_of
        );
    }
    out.push_str("] },\n");
}
