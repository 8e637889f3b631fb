//! Where a request is built: which URL and parameters each kind of API call becomes
//! (docs/protocol.md, "URL forms").

use std::borrow::Cow;

use crate::error::{Error, Result, Term};
use crate::params::Param;
use crate::response::Kind;
use crate::target::{Service, Target};

/// How the parameters travel: POST keeps them in the body, out of URLs and server logs.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters in an `application/x-www-form-urlencoded` body (the default).
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// An HTTP request before authentication: path, query and form parameters
/// ([`Call::to_request`]), as it would be sent.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// `/json-api/listaccts`, `/execute/Email/list_pops`…
    pub path: String,
    /// The query string's parameters, in order.
    pub query: Vec<Param>,
    /// Sent as an `application/x-www-form-urlencoded` body; empty for GET.
    pub form: Vec<Param>,
    /// The API call whose answer goes to the client's sink as it arrives, when it has one
    /// ([`crate::Client::stream_to`]; not a login's or a probe's answer).
    pub(crate) streamed: bool,
    /// What is left of a whole run's time and bytes (paging's pages share the timeout and
    /// the size cap); `None`: the target's timeout and the client's size cap.
    pub(crate) budget: Option<Budget>,
    /// It only reads: sent again when a kept-alive connection ends before any answer byte.
    pub(crate) idempotent: bool,
}

/// A run's time and bytes, spent by several requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// When the run must be done.
    pub deadline: std::time::Instant,
    /// How many more bytes of answers it may read.
    pub bytes: u64,
}

impl Request {
    /// A GET of `path` with nothing else (probes).
    pub(crate) fn bare_get(path: &str) -> Request {
        Request {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            form: Vec::new(),
            streamed: false,
            budget: None,
            idempotent: true,
        }
    }
}

/// One API call as the user asked for it; [`Call::whm`], [`Call::uapi`] and [`Call::api2`]
/// make one.
///
/// ```
/// use cpanel_client::Call;
///
/// let call = Call::whm("listaccts").param("searchtype", "user").param("search", "bob");
/// assert_eq!(call.params().len(), 2);
/// let for_bob = Call::uapi("Email", "list_pops").via_whm("bob");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum Call {
    /// WHM API 1: `/json-api/FUNCTION?api.version=1`.
    Whm {
        /// `listaccts`, `createacct`, …
        function: String,
        /// `key=value` pairs in order; a key may repeat.
        params: Vec<Param>,
    },
    /// UAPI: `/execute/MODULE/FUNCTION`, or through WHM for `via_whm` user.
    Uapi {
        /// `Email`, `Ftp`, …
        module: String,
        /// `list_pops`, …
        function: String,
        /// `key=value` pairs in order; a key may repeat.
        params: Vec<Param>,
        /// The cPanel user to call it for through WHM (a WHM profile's `cpanel --user`).
        via_whm: Option<String>,
    },
    /// cPanel API 2: `/json-api/cpanel?cpanel_jsonapi_apiversion=2&…`, or through WHM.
    Api2 {
        /// `Email`, …
        module: String,
        /// `listpopswithdisk`, …
        function: String,
        /// `key=value` pairs in order; a key may repeat.
        params: Vec<Param>,
        /// The cPanel user to call it for through WHM.
        via_whm: Option<String>,
    },
}

impl Call {
    /// A WHM API 1 function (`listaccts`, `createacct`).
    pub fn whm(function: impl Into<String>) -> Call {
        Call::Whm {
            function: function.into(),
            params: Vec::new(),
        }
    }

    /// A UAPI function of a module (`Email`, `list_pops`).
    pub fn uapi(module: impl Into<String>, function: impl Into<String>) -> Call {
        Call::Uapi {
            module: module.into(),
            function: function.into(),
            params: Vec::new(),
            via_whm: None,
        }
    }

    /// A cPanel API 2 function of a module (`Email`, `listpopswithdisk`).
    pub fn api2(module: impl Into<String>, function: impl Into<String>) -> Call {
        Call::Api2 {
            module: module.into(),
            function: function.into(),
            params: Vec::new(),
            via_whm: None,
        }
    }

    /// One more parameter (a key may repeat: the server numbers repeated keys).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Call {
        match &mut self {
            Call::Whm { params, .. } | Call::Uapi { params, .. } | Call::Api2 { params, .. } => {
                params.push((key.into(), value.into()))
            }
        }
        self
    }

    /// A UAPI or API 2 call made for this cPanel user through WHM (a WHM target's root or
    /// reseller); no change to a WHM call.
    pub fn via_whm(mut self, user: impl Into<String>) -> Call {
        if let Call::Uapi { via_whm, .. } | Call::Api2 { via_whm, .. } = &mut self {
            *via_whm = Some(user.into());
        }
        self
    }

    /// Which envelope its answer comes in.
    pub fn kind(&self) -> Kind {
        match self {
            Call::Whm { function, .. } if function == "uapi_cpanel" => Kind::WhmUapiCpanel,
            Call::Whm { .. } => Kind::Whm,
            Call::Uapi { via_whm: None, .. } => Kind::Uapi,
            Call::Uapi {
                via_whm: Some(_), ..
            } => Kind::ProxyUapi,
            Call::Api2 { .. } => Kind::Api2,
        }
    }

    /// A call that changes nothing and any account of the service may make: WHM `version`,
    /// UAPI `Variables get_user_information` (to test credentials).
    pub fn harmless(service: crate::target::Service) -> Call {
        match service {
            crate::target::Service::Whm => Call::Whm {
                function: "version".into(),
                params: Vec::new(),
            },
            _ => Call::Uapi {
                module: "Variables".into(),
                function: "get_user_information".into(),
                params: Vec::new(),
                via_whm: None,
            },
        }
    }

    /// Everything about the call that can be known without sending it to `target`: its names
    /// and parameters, whether the target's service takes it, whether it can be paged.
    pub fn check(&self, target: &Target, options: &crate::CallOptions) -> Result<()> {
        crate::answer::check(&*self.fit_to(target)?, options)
    }

    /// The call for the first page of `page_size` records, as [`crate::Client::call_all_pages`]
    /// sends it (for showing an equivalent request).
    pub fn first_page(&self, page_size: usize) -> Result<Call> {
        Ok(self.with_params(crate::paginate::page_params(self.kind(), 1, page_size)?))
    }

    /// The same call with more parameters (a page of a listing).
    pub(crate) fn with_params(&self, extra: Vec<Param>) -> Call {
        let mut call = self.clone();
        match &mut call {
            Call::Whm { params, .. } | Call::Uapi { params, .. } | Call::Api2 { params, .. } => {
                params.extend(extra)
            }
        }
        call
    }

    /// This call as `target`'s service takes it: UAPI and API 2 on a WHM target go through
    /// WHM for the user named, else for the target's `cpanel_user`; what the service cannot
    /// take is refused before anything is sent.
    pub fn fit_to(&self, target: &Target) -> Result<Cow<'_, Call>> {
        let user_option = Term::ViaWhm;
        let whm = target.service == Service::Whm;
        let (whose, service) = (
            || format!("{}{}", target.describe(), target.service_note()),
            target.service.name(),
        );
        match self {
            Call::Whm { .. } if !whm => Err(Error::invalid_call(format!(
                "WHM API calls need WHM credentials, but {} is a {service} profile: use a profile with service = \"whm\"",
                whose()
            ))),
            Call::Uapi { via_whm, .. } | Call::Api2 { via_whm, .. } => match (whm, via_whm) {
                (false, Some(_)) => Err(Error::invalid_call(format!(
                    "{user_option} calls through WHM and needs a WHM profile, but {} is a {service} profile: drop {user_option}",
                    whose()
                ))),
                (true, None) => {
                    let user = target.cpanel_user.clone().ok_or_else(|| {
                        Error::invalid_call(format!(
                            "{} is a WHM profile: name the cPanel account to act as with {user_option} USER (or cpanel_user in the profile)",
                            whose()
                        ))
                    })?;
                    let mut call = self.clone();
                    if let Call::Uapi { via_whm, .. } | Call::Api2 { via_whm, .. } = &mut call {
                        *via_whm = Some(user);
                    }
                    Ok(Cow::Owned(call))
                }
                _ => Ok(Cow::Borrowed(self)),
            },
            Call::Whm { .. } => Ok(Cow::Borrowed(self)),
        }
    }

    /// Its parameters.
    pub fn params(&self) -> &[Param] {
        match self {
            Call::Whm { params, .. } | Call::Uapi { params, .. } | Call::Api2 { params, .. } => {
                params
            }
        }
    }

    /// The request for this call. POST keeps the parameters in the body, out of URLs and logs;
    /// GET puts them in the query string. What the client sets itself always goes in the query.
    pub fn to_request(&self, method: Method) -> Result<Request> {
        let (path, fixed, params) = match self {
            Call::Whm { function, params } => {
                check_name(function, "WHM function")?;
                let fixed = vec![("api.version".to_string(), "1".to_string())];
                (format!("/json-api/{function}"), fixed, params)
            }
            Call::Uapi {
                module,
                function,
                params,
                via_whm: None,
            } => {
                check_name(module, "UAPI module")?;
                check_name(function, "UAPI function")?;
                (format!("/execute/{module}/{function}"), Vec::new(), params)
            }
            Call::Uapi {
                module,
                function,
                params,
                via_whm: Some(user),
            } => (
                "/json-api/cpanel".to_string(),
                jsonapi(Some(user), "3", module, function)?,
                params,
            ),
            Call::Api2 {
                module,
                function,
                params,
                via_whm,
            } => (
                "/json-api/cpanel".to_string(),
                jsonapi(via_whm.as_deref(), "2", module, function)?,
                params,
            ),
        };
        let reserved = |k: &str| {
            fixed.iter().any(|(f, _)| f == k)
                || (path == "/json-api/cpanel" && k.starts_with("cpanel_jsonapi_"))
        };
        if let Some((key, _)) = params.iter().find(|(k, _)| reserved(k)) {
            return Err(Error::invalid_call(format!(
                "{key} is set by {} for this kind of call: drop that parameter",
                Term::Program
            )));
        }
        let mut query = fixed;
        let form = match method {
            Method::Get => {
                query.extend(params.iter().cloned());
                Vec::new()
            }
            Method::Post => params.clone(),
        };
        let url = path.len()
            + crate::params::encode_form(query.iter().map(|(k, v)| (k.as_str(), v.as_str()))).len();
        if url > MAX_URL {
            return Err(Error::invalid_call(format!(
                "{} would make a URL of {url} bytes, longer than any server takes (servers refuse far shorter ones, often past 8 KiB): {} to send the parameters in the request body",
                Term::Get,
                Term::DropGet
            )));
        }
        Ok(Request {
            method,
            path,
            query,
            form,
            streamed: false,
            budget: None,
            idempotent: false,
        })
    }
}

/// The longest URL cpcall can send at all (the `http` crate's limit for a URI); servers take
/// much less (Apache 8190 bytes for the request line), and answer 414, whose message says to
/// drop `--get` too.
const MAX_URL: usize = 65_000;

/// The `cpanel_jsonapi_*` parameters of `/json-api/cpanel`, in the order the vendor documents.
fn jsonapi(user: Option<&str>, version: &str, module: &str, function: &str) -> Result<Vec<Param>> {
    check_name(module, "cPanel module")?;
    check_name(function, "cPanel function")?;
    let mut fixed = Vec::new();
    if let Some(user) = user {
        if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid_call(format!(
                "{} \"{user}\" is not a cPanel user name",
                Term::ViaWhm
            )));
        }
        fixed.push(("cpanel_jsonapi_user".to_string(), user.to_string()));
    }
    fixed.push(("cpanel_jsonapi_apiversion".to_string(), version.to_string()));
    fixed.push(("cpanel_jsonapi_module".to_string(), module.to_string()));
    fixed.push(("cpanel_jsonapi_func".to_string(), function.to_string()));
    Ok(fixed)
}

/// Module and function names are identifiers; anything else would change the URL's meaning.
fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_call(format!(
            "{what} \"{name}\" is not a valid name: use letters, digits and _ only (e.g. listaccts, Email list_pops)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<Param> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn request_table() {
        let whm = Call::Whm {
            function: "listaccts".into(),
            params: p(&[("search", "bob"), ("k", "1"), ("k", "2")]),
        };
        let uapi = Call::Uapi {
            module: "Email".into(),
            function: "add_pop".into(),
            params: p(&[("email", "x"), ("password", "pw")]),
            via_whm: None,
        };
        let proxied = Call::Uapi {
            module: "Email".into(),
            function: "list_pops".into(),
            params: p(&[("x", "1")]),
            via_whm: Some("bob".into()),
        };
        let api2 = Call::Api2 {
            module: "Email".into(),
            function: "listpopswithdisk".into(),
            params: p(&[]),
            via_whm: None,
        };
        let api2_whm = Call::Api2 {
            module: "Email".into(),
            function: "addpop".into(),
            params: p(&[("email", "e")]),
            via_whm: Some("bob".into()),
        };
        let jsonapi = |user: Option<&str>, v: &str, m: &str, f: &str| {
            let mut q = Vec::new();
            if let Some(u) = user {
                q.push(("cpanel_jsonapi_user", u));
            }
            q.extend([
                ("cpanel_jsonapi_apiversion", v),
                ("cpanel_jsonapi_module", m),
                ("cpanel_jsonapi_func", f),
            ]);
            p(&q)
        };
        let cases = [
            (
                &whm,
                Method::Post,
                "/json-api/listaccts",
                p(&[("api.version", "1")]),
                p(&[("search", "bob"), ("k", "1"), ("k", "2")]),
            ),
            (
                &whm,
                Method::Get,
                "/json-api/listaccts",
                p(&[
                    ("api.version", "1"),
                    ("search", "bob"),
                    ("k", "1"),
                    ("k", "2"),
                ]),
                p(&[]),
            ),
            (
                &uapi,
                Method::Post,
                "/execute/Email/add_pop",
                p(&[]),
                p(&[("email", "x"), ("password", "pw")]),
            ),
            (
                &uapi,
                Method::Get,
                "/execute/Email/add_pop",
                p(&[("email", "x"), ("password", "pw")]),
                p(&[]),
            ),
            (
                &proxied,
                Method::Post,
                "/json-api/cpanel",
                jsonapi(Some("bob"), "3", "Email", "list_pops"),
                p(&[("x", "1")]),
            ),
            (
                &api2,
                Method::Post,
                "/json-api/cpanel",
                jsonapi(None, "2", "Email", "listpopswithdisk"),
                p(&[]),
            ),
            (
                &api2_whm,
                Method::Get,
                "/json-api/cpanel",
                [
                    jsonapi(Some("bob"), "2", "Email", "addpop"),
                    p(&[("email", "e")]),
                ]
                .concat(),
                p(&[]),
            ),
        ];
        for (call, method, path, query, form) in cases {
            let r = call.to_request(method).unwrap();
            assert_eq!(
                (r.path.as_str(), &r.query, &r.form),
                (path, &query, &form),
                "{call:?} {method:?}"
            );
        }
    }

    #[test]
    fn bad_names_and_api_version_are_refused() {
        let cases = [
            Call::Whm {
                function: "../x".into(),
                params: vec![],
            },
            Call::Whm {
                function: "".into(),
                params: vec![],
            },
            Call::Whm {
                function: "listaccts".into(),
                params: p(&[("api.version", "0")]),
            },
            Call::Uapi {
                module: "Email/x".into(),
                function: "f".into(),
                params: vec![],
                via_whm: None,
            },
            Call::Uapi {
                module: "Email".into(),
                function: "f?x=1".into(),
                params: vec![],
                via_whm: None,
            },
            Call::Uapi {
                module: "Email".into(),
                function: "f".into(),
                params: vec![],
                via_whm: Some("a b".into()),
            },
            Call::Api2 {
                module: "Email".into(),
                function: "f".into(),
                params: p(&[("cpanel_jsonapi_user", "root")]),
                via_whm: None,
            },
        ];
        for call in cases {
            let err = call.to_request(Method::Post).unwrap_err();
            assert_eq!(*err.kind(), crate::ErrorKind::InvalidCall, "{call:?}");
        }
    }
}
