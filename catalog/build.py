#!/usr/bin/env python3
"""Rebuild catalog/catalog.json from cPanel's official OpenAPI documents, keeping facts only.

Usage (a maintainer's step, not part of the build):

    python3 catalog/build.py \
        --whm   https://api.docs.cpanel.net/_bundle/specifications/whm.openapi.yaml \
        --uapi  https://api.docs.cpanel.net/_bundle/specifications/cpanel.openapi.yaml \
        --previous catalog/catalog.json --out catalog/catalog.json

Each of --whm/--uapi takes a file or an https URL; either may be left out, and that half of
the catalogue is then taken from --previous unchanged. Needs PyYAML (`pip install pyyaml`).

Kept per function: HTTP method (the path's verb), first version (`x-cpanel-available-version`),
deprecation, documentation URL, and per parameter: name, type, required, enum values and a
default when it is a literal (defaults written as prose, "The cPanel account's main domain.",
are dropped). Description texts are never copied: cPanel's prose stays on its site.
When the documents lack a first version (trimmed documents do), the previous catalogue's
value is kept, so a rebuild never loses a fact it cannot replace.
"""

import argparse
import json
import re
import sys
import urllib.request

DOCS = "https://api.docs.cpanel.net/specifications"
# Schema types the catalogue knows; anything else (objects, mixed oneOf) is "any".
TYPES = {"string", "integer", "number", "boolean", "array"}


def load(source):
    import yaml  # only the maintainer's machine needs PyYAML

    if source.startswith("http://"):
        raise Failure(f"{source}: give an https:// URL (the documents are served over TLS)")
    if source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=120) as answer:
            text = answer.read()
    else:
        with open(source, "rb") as f:
            text = f.read()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise Failure(f"{source} is not YAML: {str(e).splitlines()[0]}")
    if not isinstance(doc, dict) or not doc.get("paths"):
        raise Failure(f"{source} holds no API operations (no 'paths'): is it an OpenAPI document?")
    return doc


class Failure(Exception):
    """A problem with the input, said in one line."""


def slug(text):
    """The docs site's section slug: lower case, spaces to dashes."""
    return re.sub(r"\s+", "-", text.strip().lower())


def resolve(doc, schema):
    """Follows `$ref`s inside the document (`#/components/schemas/...`)."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema, seen = node, seen + 1
    return schema if isinstance(schema, dict) else {}


def kind(doc, schema):
    schema = resolve(doc, schema)
    if schema.get("type") in TYPES:
        return schema["type"]
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        kinds = {kind(doc, v) for v in variants}
        if len(kinds) == 1:
            return kinds.pop()
    return "any"


def literal(value):
    """A default worth keeping: a number, a boolean or a word, not a sentence."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and value and not re.search(r"\s", value):
        return value
    return None


def param(doc, name, schema, required):
    schema = resolve(doc, schema)
    entry = {"name": name, "required": bool(required), "type": kind(doc, schema)}
    values = schema.get("enum")
    if values is None and schema.get("type") == "array":
        values = resolve(doc, schema.get("items", {})).get("enum")
    if values:
        entry["enum"] = [literal(v) if literal(v) is not None else str(v) for v in values]
    default = literal(schema.get("default"))
    if default is not None:
        entry["default"] = default
    return entry


def params(doc, operation):
    found = []
    for p in operation.get("parameters", []):
        p = resolve(doc, p)
        if p.get("in", "query") != "query":
            continue
        found.append(param(doc, p["name"], p.get("schema", {}), p.get("required")))
    # POST functions may document their fields as a form body instead.
    content = resolve(doc, operation.get("requestBody", {})).get("content", {})
    for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        body = resolve(doc, content.get(media, {}).get("schema", {}))
        required = set(body.get("required", []))
        for name, schema in body.get("properties", {}).items():
            found.append(param(doc, name, schema, name in required))
    return found


def functions(doc, spec):
    """Yields (path, entry) for every operation of one OpenAPI document."""
    for path, verbs in doc.get("paths", {}).items():
        for verb, operation in verbs.items():
            if verb not in ("get", "post", "put", "delete", "patch"):
                continue
            tags = operation.get("tags") or []
            page = operation.get("operationId") or path.strip("/").split("/")[-1]
            section = f"{slug(tags[-1])}/" if tags else ""
            entry = {
                "docs": f"{DOCS}/{spec}/{section}{page}.md",
                "method": verb.upper(),
                "params": params(doc, operation),
            }
            since = operation.get("x-cpanel-available-version")
            if since is not None:
                entry["since"] = str(since)
            if operation.get("deprecated"):
                entry["deprecated"] = True
            yield path.strip("/"), entry


def keep_since(entry, previous):
    if "since" not in entry and previous and "since" in previous:
        entry["since"] = previous["since"]
    return entry


def cpanel_version(doc):
    # info.version reads 11.138.0.5: the product version is the second part.
    parts = str(doc.get("info", {}).get("version", "")).split(".")
    return parts[1] if len(parts) > 1 else ""


def build(whm, uapi, previous):
    catalog = {
        "source": {"project": "cPanel's OpenAPI documents, facts only (catalog/build.py)"},
        "whm": previous.get("whm", {}),
        "uapi": previous.get("uapi", {}),
    }
    versions = []
    if whm is not None:
        old = previous.get("whm", {})
        catalog["whm"] = {
            name: keep_since(entry, old.get(name)) for name, entry in functions(whm, "whm.openapi")
        }
        if any("/" in name for name in catalog["whm"]):
            raise Failure("--whm got MODULE/FUNCTION paths: that is the UAPI document; give it to --uapi")
        versions.append(cpanel_version(whm))
    if uapi is not None:
        old = previous.get("uapi", {})
        modules = {}
        for path, entry in functions(uapi, "cpanel.openapi"):
            if path.count("/") != 1:
                print(f"build.py: skipped {path!r}: not MODULE/FUNCTION", file=sys.stderr)
                continue
            module, name = path.split("/")
            # UAPI pages are named MODULE-FUNCTION; some documents' operationId lacks the module.
            page = entry["docs"].rsplit("/", 1)
            if "-" not in page[1]:
                entry["docs"] = f"{page[0]}/{slug(module)}-{page[1]}"
            modules.setdefault(module, {})[name] = keep_since(entry, old.get(module, {}).get(name))
        if not modules:
            raise Failure("--uapi got no MODULE/FUNCTION paths: is it the WHM document? give it to --whm")
        catalog["uapi"] = modules
        versions.append(cpanel_version(uapi))
    # A catalogue is no newer than its oldest half: one half rebuilt keeps the other's version.
    if whm is None or uapi is None:
        versions.append(previous.get("source", {}).get("cpanel_version", ""))
    versions = [v for v in versions if str(v).isdigit()]
    version = min(versions, key=int) if versions else ""
    catalog["source"]["cpanel_version"] = version
    return catalog


def main():
    try:
        run()
    except (Failure, OSError, json.JSONDecodeError, urllib.error.URLError) as e:
        print(f"build.py: {e}", file=sys.stderr)
        sys.exit(2)


def run():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--whm", help="whm.openapi.yaml: a file or an https URL")
    parser.add_argument("--uapi", help="cpanel.openapi.yaml: a file or an https URL")
    parser.add_argument("--previous", help="the catalogue being replaced (keeps what the documents lack)")
    parser.add_argument("--out", required=True, help="where to write the catalogue ('-' for stdout)")
    args = parser.parse_args()
    if not args.whm and not args.uapi:
        parser.error("give --whm, --uapi or both")
    previous = {}
    if args.previous:
        with open(args.previous, encoding="utf-8") as f:
            previous = json.load(f)
    catalog = build(
        load(args.whm) if args.whm else None,
        load(args.uapi) if args.uapi else None,
        previous,
    )
    text = json.dumps(catalog, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
        return
    # Atomic: a half-written catalogue would break the next build. A temporary name of its
    # own, so two runs never write the same file.
    import os
    import tempfile

    folder = os.path.dirname(os.path.abspath(args.out))
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False) as f:
        f.write(text)
    os.replace(f.name, args.out)
    whm_count = len(catalog["whm"])
    uapi_count = sum(len(m) for m in catalog["uapi"].values())
    print(
        f"build.py: {whm_count} WHM functions, {uapi_count} UAPI functions in "
        f"{len(catalog['uapi'])} modules, cPanel & WHM {catalog['source']['cpanel_version']}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
