//! `--paginate`: fetch every page of a long listing and print one merged answer.
//!
//! WHM API 1 pages with `api.chunk.enable=1&api.chunk.size=N&api.chunk.start=S` (1-based) and
//! reports `metadata.chunk.records`; UAPI (also through WHM) with `api.paginate_size=N&
//! api.paginate_start=S` and `metadata.paginate.total_results`. Pages are merged by joining the
//! `data` arrays (a list, or the lists inside an object such as `data.acct`).

use serde_json::Value;

use crate::client::params::Param;
use crate::client::response::Kind;
use crate::error::{Error, Result};

/// The most pages cpcall fetches, so a server that never says "done" cannot loop it forever.
pub const MAX_PAGES: usize = 100_000;

/// The parameters that ask for the page starting at record `start` (1-based).
pub fn page_params(kind: Kind, start: usize, size: usize) -> Result<Vec<Param>> {
    let pairs: Vec<(&str, String)> = match kind {
        Kind::Whm => vec![
            ("api.chunk.enable", "1".into()),
            ("api.chunk.verbose", "1".into()),
            ("api.chunk.size", size.to_string()),
            ("api.chunk.start", start.to_string()),
        ],
        Kind::Uapi | Kind::ProxyUapi => vec![
            ("api.paginate_size", size.to_string()),
            ("api.paginate_start", start.to_string()),
        ],
        Kind::Api2 | Kind::WhmUapiCpanel => {
            return Err(Error::usage(
                "--paginate works with WHM API 1 and UAPI calls, not API 2 or uapi_cpanel",
            ))
        }
    };
    Ok(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Whether the user already set paging parameters by hand.
pub fn is_paging_param(key: &str) -> bool {
    key.starts_with("api.chunk.") || key.starts_with("api.paginate")
}

/// The envelope that holds `data` and `metadata` for this kind of call.
fn envelope(kind: Kind, answer: &mut Value) -> Option<&mut Value> {
    match kind {
        Kind::ProxyUapi => answer.get_mut("result"),
        _ => Some(answer),
    }
}

/// The paging block of a page (`metadata.chunk` or `metadata.paginate`), if the server paged it.
fn block(kind: Kind, answer: &mut Value) -> Option<&Value> {
    let meta = envelope(kind, answer)?.get("metadata")?;
    match kind {
        Kind::Whm => meta.get("chunk"),
        _ => meta.get("paginate"),
    }
}

/// A count as servers send it: a number or a string of digits (`"records": "250"`); an
/// integral float (`10.0`) is read too. Anything else (`-1`, `"abc"`, `null`) is not a count.
fn count(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str()?.trim().parse().ok())
        .or_else(|| {
            let f = v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())?;
            (f >= 0.0 && f.fract() == 0.0 && f < 9e15).then_some(f as u64)
        })
}

/// The number of records the whole listing has: `Ok(None)` when the server did not page the
/// answer (one page is all), an error naming the value when it paged it with a count that
/// cannot be read — merging on would hide records.
pub fn total(kind: Kind, answer: &mut Value) -> std::result::Result<Option<u64>, String> {
    let Some(block) = block(kind, answer) else {
        return Ok(None);
    };
    let field = match kind {
        Kind::Whm => "records",
        _ => "total_results",
    };
    let raw = block.get(field).unwrap_or(&Value::Null);
    count(raw)
        .map(Some)
        .ok_or_else(|| format!("{field} = {raw}"))
}

/// The first record of this page as the server says (`start`, `start_result`), if it says.
pub fn echoed_start(kind: Kind, answer: &mut Value) -> Option<u64> {
    let field = match kind {
        Kind::Whm => "start",
        _ => "start_result",
    };
    count(block(kind, answer)?.get(field)?)
}

/// How many records a page holds: the length of its `data` list, or of the lists in its
/// `data` object (`data.acct`).
pub fn records(kind: Kind, page: &mut Value) -> usize {
    match envelope(kind, page).and_then(|e| e.get("data")) {
        Some(Value::Array(a)) => a.len(),
        Some(Value::Object(o)) => o.values().filter_map(Value::as_array).map(Vec::len).sum(),
        _ => 0,
    }
}

/// Adds `page`'s records to `merged`; returns how many the page had.
pub fn merge(kind: Kind, merged: &mut Value, mut page: Value) -> usize {
    let (Some(into), Some(from)) = (
        envelope(kind, merged).and_then(|e| e.get_mut("data")),
        envelope(kind, &mut page)
            .and_then(|e| e.get_mut("data"))
            .map(Value::take),
    ) else {
        return 0;
    };
    append(into, from)
}

fn append(into: &mut Value, from: Value) -> usize {
    match (into, from) {
        (Value::Array(a), Value::Array(b)) => {
            let n = b.len();
            a.extend(b);
            n
        }
        (Value::Object(a), Value::Object(b)) => b
            .into_iter()
            .map(|(k, v)| match a.get_mut(&k) {
                Some(existing @ Value::Array(_)) => append(existing, v),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

/// Drops the paging metadata: the merged answer is one page of everything.
pub fn finish(kind: Kind, merged: &mut Value) {
    if let Some(Value::Object(meta)) = envelope(kind, merged).and_then(|e| e.get_mut("metadata")) {
        meta.remove("chunk");
        meta.remove("paginate");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_table() {
        let cases = [
            (
                Kind::Whm,
                json!({"metadata":{"chunk":{"records":3}},"data":{"acct":[1,2]}}),
                json!({"data":{"acct":[3]}}),
                json!({"metadata":{},"data":{"acct":[1,2,3]}}),
                1,
            ),
            (
                Kind::Uapi,
                json!({"status":1,"data":[1],"metadata":{"paginate":{"total_results":2}}}),
                json!({"data":[2]}),
                json!({"status":1,"data":[1,2],"metadata":{}}),
                1,
            ),
            (
                Kind::ProxyUapi,
                json!({"result":{"data":["a"],"metadata":{"paginate":{}}}}),
                json!({"result":{"data":["b","c"]}}),
                json!({"result":{"data":["a","b","c"],"metadata":{}}}),
                2,
            ),
            (
                Kind::Uapi,
                json!({"data":"x"}),
                json!({"data":"y"}),
                json!({"data":"x"}),
                0,
            ),
        ];
        for (kind, mut merged, page, want, n) in cases {
            assert_eq!(merge(kind, &mut merged, page), n);
            finish(kind, &mut merged);
            assert_eq!(merged, want);
        }
    }

    #[test]
    fn records_table() {
        let cases = [
            (Kind::Whm, json!({"data":{"acct":[1,2,3]}}), 3),
            (Kind::Uapi, json!({"data":[1,2]}), 2),
            (Kind::ProxyUapi, json!({"result":{"data":[1]}}), 1),
            (Kind::Uapi, json!({"data":"x"}), 0),
            (Kind::Whm, json!({"metadata":{}}), 0),
        ];
        for (kind, mut page, want) in cases {
            assert_eq!(records(kind, &mut page), want, "{page}");
        }
    }

    #[test]
    fn totals_table() {
        let cases = [
            (
                Kind::Whm,
                json!({"metadata":{"chunk":{"records":250}}}),
                Some(250),
            ),
            (
                Kind::Uapi,
                json!({"metadata":{"paginate":{"total_results":7}}}),
                Some(7),
            ),
            (
                Kind::ProxyUapi,
                json!({"result":{"metadata":{"paginate":{"total_results":9}}}}),
                Some(9),
            ),
            (Kind::Whm, json!({"metadata":{"result":1}}), None),
            (
                Kind::Whm,
                json!({"metadata":{"chunk":{"records":"250"}}}),
                Some(250),
            ),
            (
                Kind::Uapi,
                json!({"metadata":{"paginate":{"total_results":" 7 "}}}),
                Some(7),
            ),
            (
                Kind::Uapi,
                json!({"metadata":{"paginate":{"total_results":"many"}}}),
                None,
            ),
        ];
        for (kind, mut answer, want) in cases {
            assert_eq!(total(kind, &mut answer).ok().flatten(), want, "{answer}");
        }
        // Paged, but with a count that cannot be read: an error, not "one page is all".
        for bad in [
            json!("abc"),
            json!(-1),
            json!(null),
            json!("10.5"),
            json!(1e300),
        ] {
            let mut answer = json!({"metadata":{"chunk":{"records": bad}}});
            assert!(total(Kind::Whm, &mut answer).is_err(), "{answer}");
        }
        let mut answer = json!({"metadata":{"chunk":{"records": 10.0}}});
        assert_eq!(total(Kind::Whm, &mut answer), Ok(Some(10)));
    }
}
