//! Where a request is built: which URL and parameters each kind of API call becomes
//! (protocol.md, "URL forms").

use crate::error::{Error, Result};
use crate::params::Param;
use crate::response::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// An HTTP request before authentication: path, query and form parameters.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<Param>,
    /// Sent as an `application/x-www-form-urlencoded` body; empty for GET.
    pub form: Vec<Param>,
}

/// One API call as the user asked for it.
#[derive(Debug, Clone)]
pub enum Call {
    /// WHM API 1: `/json-api/FUNCTION?api.version=1`.
    Whm {
        function: String,
        params: Vec<Param>,
    },
    /// UAPI: `/execute/MODULE/FUNCTION`.
    Uapi {
        module: String,
        function: String,
        params: Vec<Param>,
    },
}

impl Call {
    pub fn kind(&self) -> Kind {
        match self {
            Call::Whm { function, .. } if function == "uapi_cpanel" => Kind::WhmUapiCpanel,
            Call::Whm { .. } => Kind::Whm,
            Call::Uapi { .. } => Kind::Uapi,
        }
    }

    /// The request for this call. POST keeps the parameters in the body, out of URLs and logs;
    /// GET puts them in the query string.
    pub fn request(&self, method: Method) -> Result<Request> {
        let (path, fixed, params) = match self {
            Call::Whm { function, params } => {
                check_name(function, "WHM function")?;
                if params.iter().any(|(k, _)| k == "api.version") {
                    return Err(Error::usage(
                        "api.version is set by cpcall (always 1 for WHM API 1): drop that parameter",
                    ));
                }
                let fixed = vec![("api.version".to_string(), "1".to_string())];
                (format!("/json-api/{function}"), fixed, params)
            }
            Call::Uapi {
                module,
                function,
                params,
            } => {
                check_name(module, "UAPI module")?;
                check_name(function, "UAPI function")?;
                (format!("/execute/{module}/{function}"), Vec::new(), params)
            }
        };
        let (mut query, form) = match method {
            Method::Get => (Vec::new(), Vec::new()),
            Method::Post => (Vec::new(), params.clone()),
        };
        query.extend(fixed);
        if method == Method::Get {
            query.extend(params.iter().cloned());
        }
        Ok(Request {
            method,
            path,
            query,
            form,
        })
    }
}

/// Module and function names are identifiers; anything else would change the URL's meaning.
fn check_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
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
        ];
        for (call, method, path, query, form) in cases {
            let r = call.request(method).unwrap();
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
            },
            Call::Uapi {
                module: "Email".into(),
                function: "f?x=1".into(),
                params: vec![],
            },
        ];
        for call in cases {
            let err = call.request(Method::Post).unwrap_err();
            assert_eq!(err.exit, crate::error::Exit::Usage, "{call:?}");
        }
    }
}
