//! `--paginate`: fetch every page of a long listing and print one merged answer.
//!
//! WHM API 1 pages with `api.chunk.enable=1&api.chunk.size=N&api.chunk.start=S` (1-based) and
//! reports `metadata.chunk.records`; UAPI (also through WHM) with `api.paginate_size=N&
//! api.paginate_start=S` and `metadata.paginate.total_results`. Pages are merged by joining the
//! `data` arrays (a list, or the lists inside an object such as `data.acct`).

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::body::{Body, Spool, Spooling};
use crate::error::{Error, Result};
use crate::params::Param;
use crate::response::Kind;

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
            return Err(Error::invalid_call(format!(
                "{} works with WHM API 1 and UAPI calls, not API 2 or uapi_cpanel",
                crate::Term::Paging
            )))
        }
    };
    Ok(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Whether the user already set paging parameters by hand.
pub fn is_paging_param(key: &str) -> bool {
    key.starts_with("api.chunk.") || key.starts_with("api.paginate")
}

/// The paging block (`metadata.chunk` or `metadata.paginate`) of a page's metadata, if the
/// server paged it.
fn block(kind: Kind, metadata: &Value) -> Option<&Value> {
    match kind {
        Kind::Whm => metadata.get("chunk"),
        _ => metadata.get("paginate"),
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

/// The number of records the whole listing has, from a page's metadata: `Ok(None)` when the
/// server did not page the answer (one page is all), an error naming the value when it paged
/// it with a count that cannot be read — merging on would hide records.
pub fn total(kind: Kind, metadata: &Value) -> std::result::Result<Option<u64>, String> {
    let Some(block) = block(kind, metadata) else {
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
pub fn echoed_start(kind: Kind, metadata: &Value) -> Option<u64> {
    let field = match kind {
        Kind::Whm => "start",
        _ => "start_result",
    };
    count(block(kind, metadata)?.get(field)?)
}

/// Pages merged as they arrive, at constant memory: the first page's envelope is kept (its
/// members as the server wrote them), and the records of each `data` list (a list, or the
/// lists inside an object such as `data.acct`) go one by one, as written, into a spool of
/// their own (memory, then a temporary file). [`Merger::finish`] writes the merged answer:
/// the first page with every list holding all records and the paging metadata dropped.
pub struct Merger {
    kind: Kind,
    template: Option<Vec<(String, Member)>>,
    lists: Vec<List>,
    spooling: Spooling,
    /// Records merged so far.
    pub records: u64,
}

/// One `data` list's records so far, comma-separated.
struct List {
    records: Spool,
    count: u64,
}

impl List {
    fn push(&mut self, record: &RawValue) -> std::io::Result<()> {
        if self.count > 0 {
            self.records.write(b",")?;
        }
        self.records.write(record.get().as_bytes())?;
        self.count += 1;
        Ok(())
    }
}

/// A member of the first page, as it is merged.
enum Member {
    /// Kept as the server wrote it.
    Raw(Box<RawValue>),
    /// `result` of a UAPI answer through WHM: the envelope inside.
    Envelope(Vec<(String, Member)>),
    /// `metadata`, without its paging block.
    Metadata(Value),
    /// `data`: one list, or an object with lists among its members.
    List(usize),
    Object(Vec<(String, Slot)>),
    Other(Value),
}

enum Slot {
    List(usize),
    Value(Value),
}

/// What one page said besides its records.
pub struct Page {
    /// Its records.
    pub records: u64,
    /// Its `metadata` (of the envelope), `null` when it had none.
    pub metadata: Value,
}

impl Merger {
    pub fn new(kind: Kind, spooling: &Spooling) -> Merger {
        Merger {
            kind,
            template: None,
            lists: Vec::new(),
            spooling: spooling.clone(),
            records: 0,
        }
    }

    /// Reads one page (a whole, judged JSON answer) from `reader`, adding its records.
    pub fn add(&mut self, reader: impl std::io::Read) -> std::result::Result<Page, String> {
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
        let first = self.template.is_none();
        let shape = Shape {
            template: self.template.as_deref(),
            kind: self.kind,
        };
        let mut page = PageState {
            lists: &mut self.lists,
            spooling: &self.spooling,
            metadata: Value::Null,
            records: 0,
            first,
        };
        let members = TopSeed {
            shape,
            page: &mut page,
            envelope: self.kind != Kind::ProxyUapi,
        }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
        let (records, metadata) = (page.records, page.metadata);
        if first {
            self.template = Some(members);
        }
        self.records += records;
        Ok(Page { records, metadata })
    }

    /// Writes the merged answer into `out`, a piece at a time.
    pub fn finish(self, out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
        let lists: Vec<_> = self.lists.into_iter().map(|l| l.records.finish()).collect();
        match &self.template {
            Some(members) => write_members(members, &lists, out),
            None => out(b"null"),
        }
    }
}

fn write_members(
    members: &[(String, Member)],
    lists: &[Body],
    out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    out(b"{")?;
    for (i, (key, member)) in members.iter().enumerate() {
        if i > 0 {
            out(b",")?;
        }
        out(json_text(key).as_bytes())?;
        out(b":")?;
        match member {
            Member::Raw(raw) => out(raw.get().as_bytes())?,
            Member::Envelope(inner) => write_members(inner, lists, out)?,
            Member::Metadata(v) | Member::Other(v) => out(json_text(v).as_bytes())?,
            Member::List(id) => write_list(&lists[*id], out)?,
            Member::Object(slots) => {
                out(b"{")?;
                for (i, (key, slot)) in slots.iter().enumerate() {
                    if i > 0 {
                        out(b",")?;
                    }
                    out(json_text(key).as_bytes())?;
                    out(b":")?;
                    match slot {
                        Slot::List(id) => write_list(&lists[*id], out)?,
                        Slot::Value(v) => out(json_text(v).as_bytes())?,
                    }
                }
                out(b"}")?;
            }
        }
    }
    out(b"}")
}

fn write_list(
    list: &Body,
    out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    out(b"[")?;
    list.each_piece(0..list.len(), out)?;
    out(b"]")
}

fn json_text(v: &(impl serde::Serialize + ?Sized)) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// What later pages are matched against: the first page's members.
#[derive(Clone, Copy)]
struct Shape<'a> {
    template: Option<&'a [(String, Member)]>,
    kind: Kind,
}

impl<'a> Shape<'a> {
    /// The first page's member `key` (of the envelope, for `result` of UAPI through WHM).
    fn member(&self, key: &str) -> Option<&'a Member> {
        self.template?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, m)| m)
    }
    fn inside(&self, key: &str) -> Shape<'a> {
        let template = match self.member(key) {
            Some(Member::Envelope(inner)) => Some(inner.as_slice()),
            _ => None,
        };
        Shape {
            template,
            kind: self.kind,
        }
    }
}

/// The page being read: where its records go, and what it said.
struct PageState<'l> {
    lists: &'l mut Vec<List>,
    spooling: &'l Spooling,
    metadata: Value,
    records: u64,
    first: bool,
}

impl PageState<'_> {
    fn new_list(&mut self) -> usize {
        self.lists.push(List {
            records: Spool::new(0, self.spooling),
            count: 0,
        });
        self.lists.len() - 1
    }
}

/// An answer object: the envelope (`data`, `metadata`) or, for UAPI through WHM, the object
/// whose `result` is the envelope.
struct TopSeed<'s, 'p, 'l> {
    shape: Shape<'s>,
    page: &'p mut PageState<'l>,
    envelope: bool,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = Vec<(String, Member)>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = Vec<(String, Member)>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an API answer (a JSON object)")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        let first = self.page.first;
        while let Some(key) = map.next_key::<String>()? {
            let member = match (self.envelope, key.as_str()) {
                (false, "result") => Member::Envelope(map.next_value_seed(TopSeed {
                    shape: self.shape.inside("result"),
                    page: &mut *self.page,
                    envelope: true,
                })?),
                (true, "metadata") => {
                    let mut metadata: Value = map.next_value()?;
                    self.page.metadata = metadata.clone();
                    if let Value::Object(meta) = &mut metadata {
                        meta.remove("chunk");
                        meta.remove("paginate");
                    }
                    Member::Metadata(metadata)
                }
                (true, "data") => map.next_value_seed(DataSeed {
                    template: self.shape.member("data"),
                    page: &mut *self.page,
                })?,
                _ if first => Member::Raw(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if first {
                members.push((key, member));
            }
        }
        Ok(members)
    }
}

/// A page's `data`: its records go to the lists the first page's `data` made.
struct DataSeed<'s, 'p, 'l> {
    template: Option<&'s Member>,
    page: &'p mut PageState<'l>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_, '_> {
    type Value = Member;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Member, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_, '_, '_> {
    type Value = Member;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the data of an answer")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Member, A::Error> {
        let id = match (self.page.first, self.template) {
            (true, _) => self.page.new_list(),
            (false, Some(Member::List(id))) => *id,
            // Not a list on the first page: nothing to add to.
            _ => return drain(seq).map(|()| Member::Other(Value::Null)),
        };
        stream(seq, id, self.page).map(|()| Member::List(id))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Member, A::Error> {
        let mut slots = Vec::new();
        let template = match self.template {
            Some(Member::Object(slots)) => Some(slots),
            _ => None,
        };
        while let Some(key) = map.next_key::<String>()? {
            let list = template
                .and_then(|t| t.iter().find(|(k, _)| *k == key))
                .and_then(|(_, slot)| match slot {
                    Slot::List(id) => Some(*id),
                    Slot::Value(_) => None,
                });
            let slot = map.next_value_seed(SlotSeed {
                list,
                page: &mut *self.page,
            })?;
            if let (true, Some(slot)) = (self.page.first, slot) {
                slots.push((key, slot));
            }
        }
        Ok(Member::Object(slots))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Member, E> {
        Ok(Member::Other(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Member, E> {
        Ok(Member::Other(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Member, E> {
        Ok(Member::Other(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Member, E> {
        Ok(Member::Other(v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Member, E> {
        Ok(Member::Other(v.into()))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Member, E> {
        Ok(Member::Other(Value::Null))
    }
}

/// A member of an object `data`: a list is streamed (into a new list on the first page, into
/// the first page's list of that name later); anything else is kept from the first page.
struct SlotSeed<'p, 'l> {
    list: Option<usize>,
    page: &'p mut PageState<'l>,
}

impl<'de> DeserializeSeed<'de> for SlotSeed<'_, '_> {
    type Value = Option<Slot>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Option<Slot>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SlotSeed<'_, '_> {
    type Value = Option<Slot>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member of data")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Option<Slot>, A::Error> {
        let id = match (self.page.first, self.list) {
            (true, _) => self.page.new_list(),
            (false, Some(id)) => id,
            (false, None) => return drain(seq).map(|()| None),
        };
        stream(seq, id, self.page).map(|()| Some(Slot::List(id)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Option<Slot>, A::Error> {
        let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(self.page.first.then_some(Slot::Value(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(v.into())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(v.into())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(v.into())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(v.into())))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<Slot>, E> {
        Ok(self.page.first.then_some(Slot::Value(Value::Null)))
    }
}

/// Each record of a list into list `id`, as written, one at a time.
fn stream<'de, A: SeqAccess<'de>>(
    mut seq: A,
    id: usize,
    page: &mut PageState,
) -> std::result::Result<(), A::Error> {
    while let Some(record) = seq.next_element::<Box<RawValue>>()? {
        page.lists[id]
            .push(&record)
            .map_err(|e| de::Error::custom(format!("cannot keep the records: {e}")))?;
        page.records += 1;
    }
    Ok(())
}

fn drain<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Pages in, one merged answer out: lists joined (records as the server wrote them),
    /// the first page's other members kept, paging metadata dropped.
    fn merged(kind: Kind, pages: &[&str]) -> (String, Vec<u64>) {
        let mut merger = Merger::new(kind, &Spooling::default());
        let counts = pages
            .iter()
            .map(|p| merger.add(p.as_bytes()).unwrap().records)
            .collect();
        let mut out = Vec::new();
        merger
            .finish(&mut |piece| {
                out.extend_from_slice(piece);
                Ok(())
            })
            .unwrap();
        (String::from_utf8(out).unwrap(), counts)
    }

    #[test]
    fn merge_table() {
        let cases: &[(Kind, &[&str], &str, &[u64])] = &[
            (
                Kind::Whm,
                &[
                    r#"{"metadata":{"result":1,"chunk":{"records":3}},"data":{"acct":[1,2],"x":"y"}}"#,
                    r#"{"data":{"acct":[3],"x":"z"},"metadata":{"chunk":{"records":3}}}"#,
                ],
                r#"{"metadata":{"result":1},"data":{"acct":[1,2,3],"x":"y"}}"#,
                &[2, 1],
            ),
            (
                Kind::Uapi,
                &[
                    r#"{"status":1,"data":[{"a": 1.50}],"metadata":{"paginate":{"total_results":2}}}"#,
                    r#"{"data":[ {"b" :"\u00e9"} ],"status":1}"#,
                ],
                r#"{"status":1,"data":[{"a": 1.50},{"b" :"\u00e9"}],"metadata":{}}"#,
                &[1, 1],
            ),
            (
                Kind::ProxyUapi,
                &[
                    r#"{"module":"Email","result":{"data":["a"],"metadata":{"paginate":{}}}}"#,
                    r#"{"result":{"data":["b","c"]}}"#,
                ],
                r#"{"module":"Email","result":{"data":["a","b","c"],"metadata":{}}}"#,
                &[1, 2],
            ),
            (
                Kind::Uapi,
                &[r#"{"data":"x"}"#, r#"{"data":"y"}"#],
                r#"{"data":"x"}"#,
                &[0, 0],
            ),
            (
                Kind::Whm,
                &[
                    r#"{"data":{"a":[1],"b":[2]}}"#,
                    r#"{"data":{"b":[3],"c":[9],"a":[]}}"#,
                ],
                r#"{"data":{"a":[1],"b":[2,3]}}"#,
                &[2, 1],
            ),
            (
                Kind::Whm,
                &[r#"{"metadata":{}}"#],
                r#"{"metadata":{}}"#,
                &[0],
            ),
        ];
        for (kind, pages, want, counts) in cases {
            let (got, n) = merged(*kind, pages);
            assert_eq!(got, *want, "{pages:?}");
            assert_eq!(n, *counts, "{pages:?}");
            serde_json::from_str::<Value>(&got).unwrap();
        }
    }

    /// Many records spool past memory and come back whole and in order.
    #[test]
    fn records_past_memory_spool_and_stay_in_order() {
        let page = |from: usize| {
            let records: Vec<String> = (from..from + 20_000)
                .map(|i| format!(r#"{{"user":"u{i:07}","pad":"{}"}}"#, "x".repeat(150)))
                .collect();
            format!(r#"{{"data":{{"acct":[{}]}}}}"#, records.join(","))
        };
        let pages: Vec<String> = (0..3).map(|p| page(p * 20_000)).collect();
        let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
        let (got, counts) = merged(Kind::Whm, &refs);
        assert_eq!(counts, [20_000; 3]);
        let v: Value = serde_json::from_str(&got).unwrap();
        let acct = v["data"]["acct"].as_array().unwrap();
        assert_eq!(acct.len(), 60_000);
        assert_eq!(acct[59_999]["user"], "u0059999");
    }

    #[test]
    fn totals_table() {
        let cases = [
            (Kind::Whm, json!({"chunk":{"records":250}}), Some(250)),
            (Kind::Uapi, json!({"paginate":{"total_results":7}}), Some(7)),
            (
                Kind::ProxyUapi,
                json!({"paginate":{"total_results":9}}),
                Some(9),
            ),
            (Kind::Whm, json!({"result":1}), None),
            (Kind::Whm, json!({"chunk":{"records":"250"}}), Some(250)),
            (
                Kind::Uapi,
                json!({"paginate":{"total_results":" 7 "}}),
                Some(7),
            ),
            (
                Kind::Uapi,
                json!({"paginate":{"total_results":"many"}}),
                None,
            ),
        ];
        for (kind, answer, want) in cases {
            assert_eq!(total(kind, &answer).ok().flatten(), want, "{answer}");
        }
        // Paged, but with a count that cannot be read: an error, not "one page is all".
        for bad in [
            json!("abc"),
            json!(-1),
            json!(null),
            json!("10.5"),
            json!(1e300),
        ] {
            let answer = json!({"chunk":{"records": bad}});
            assert!(total(Kind::Whm, &answer).is_err(), "{answer}");
        }
        let answer = json!({"chunk":{"records": 10.0}});
        assert_eq!(total(Kind::Whm, &answer), Ok(Some(10)));
    }
}
