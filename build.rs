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

fn main() {
    println!("cargo:rerun-if-changed=catalog/catalog.json");
    let text = std::fs::read_to_string("catalog/catalog.json").expect("catalog/catalog.json");
    let catalog: Catalog = serde_json::from_str(&text).expect("catalog/catalog.json is valid");
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
            "Param {{ name: {:?}, kind: {:?}, required: {}, values: &{:?}, default: {:?} }}, ",
            p.name, p.kind, p.required, p.values, p.default
        );
    }
    out.push_str("] },\n");
}
