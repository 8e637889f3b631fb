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
#[derive(Deserialize)]
struct Aliases {
    whm: BTreeMap<String, BTreeMap<String, String>>,
    uapi: BTreeMap<String, BTreeMap<String, String>>,
}

fn main() {
    println!("cargo:rerun-if-changed=catalog/catalog.json");
    println!("cargo:rerun-if-changed=catalog/aliases.json");
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
    for (name, f) in &catalog.whm {
        function(&mut out, name, f);
    }
    out.push_str("];\n\n/// UAPI modules, sorted by name, each with its functions sorted by name.\npub static UAPI: &[Module] = &[\n");
    for (module, functions) in &catalog.uapi {
        let _ = writeln!(out, "    Module {{ name: {module:?}, functions: &[");
        for (name, f) in functions {
            function(&mut out, name, f);
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

fn function(out: &mut String, name: &str, f: &Function) {
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
    let _ = write!(
        out,
        "    Function {{ name: {name:?}, section: {section:?}, method: {:?}, since: {:?}, deprecated: {}, docs: {:?}, params: &[",
        f.method,
        f.since.as_deref().unwrap_or(""),
        f.deprecated,
        docs
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
