//! The other doors: UAPI and API 2 through WHM for a cPanel user, and API 2 direct.

use crate::common::Fixture;
use crate::emulator::accounts::RESELLER;
use crate::emulator::Service;

#[test]
fn uapi_through_whm_with_user() {
    let f = Fixture::new();
    let out = f.as_root(&[
        "cpanel",
        "--user",
        "bob",
        "Email",
        "list_pops",
        "skip_main=1",
    ]);
    out.assert_code(0);
    let json = out.json();
    assert_eq!(json["apiversion"], 3);
    assert_eq!(json["result"]["data"][0]["email"], "info@bob.example");
    let req = f.requests().pop().unwrap();
    assert_eq!(req.service, Service::Whm);
    assert_eq!(
        req.request.target,
        "/json-api/cpanel?cpanel_jsonapi_user=bob&cpanel_jsonapi_apiversion=3&cpanel_jsonapi_module=Email&cpanel_jsonapi_func=list_pops"
    );
    assert_eq!(req.request.body, b"skip_main=1");
    assert!(req
        .request
        .header("Authorization")
        .unwrap()
        .starts_with("whm root:"));
}

#[test]
fn cpanel_user_in_the_profile_is_the_default_user() {
    let f = Fixture::new();
    f.call(
        &f.root_token("w", "cpanel_user = \"bob\""),
        &["cpanel", "Variables", "get_user_information"],
    )
    .assert_code(0);
    assert!(f.last().target.contains("cpanel_jsonapi_user=bob&"));
    f.call(
        &f.root_token("w", "cpanel_user = \"bob\""),
        &[
            "cpanel",
            "--user",
            "cptest",
            "Variables",
            "get_user_information",
        ],
    )
    .assert_code(0);
    assert!(f.last().target.contains("cpanel_jsonapi_user=cptest&"));
}

#[test]
fn proxy_and_inner_failures_exit_1() {
    let f = Fixture::new();
    f.as_root(&["cpanel", "--user", "nosuchuser", "Email", "list_pops"])
        .assert_code(1)
        .assert_stderr("API error: User “nosuchuser” does not exist");
    f.as_root(&["cpanel", "--user", "bob", "Email", "add_pop"])
        .assert_code(1)
        .assert_stderr("You must specify");
    let reseller = f.profile(
        "r",
        Service::Whm,
        &format!(
            "user = \"reseller\"\ntoken = \"{}\"",
            RESELLER.whm_token.unwrap()
        ),
    );
    f.call(
        &reseller,
        &["cpanel", "--user", "bob", "Email", "list_pops"],
    )
    .assert_code(0);
    f.call(
        &reseller,
        &["cpanel", "--user", "cptest", "Email", "list_pops"],
    )
    .assert_code(1)
    .assert_stderr("you do not own it");
    // WHM's own uapi_cpanel: metadata.result is 1 while the inner status is 0.
    let out = f.as_root(&[
        "whm",
        "uapi_cpanel",
        "cpanel.user=bob",
        "cpanel.module=Email",
        "cpanel.function=add_pop",
    ]);
    out.assert_code(1).assert_stderr("You must specify");
    assert_eq!(out.json()["metadata"]["result"], 1);
}

#[test]
fn usage_errors_for_user() {
    let f = Fixture::new();
    f.as_root(&["cpanel", "Email", "list_pops"])
        .assert_failure(2, "--user USER");
    let bob = f.bob_token("b", Service::Cpanel);
    f.call(&bob, &["cpanel", "--user", "bob", "Email", "list_pops"])
        .assert_failure(2, "drop --user");
    f.as_root(&[
        "cpanel",
        "--user",
        "bob",
        "Email",
        "list_pops",
        "cpanel_jsonapi_user=root",
    ])
    .assert_failure(2, "set by cpcall");
    assert!(f.requests().is_empty());
}

#[test]
fn api2_direct_and_through_whm() {
    let f = Fixture::new();
    let bob = f.bob_token("b", Service::Cpanel);
    let out = f.call(&bob, &["cpanel", "--api2", "Email", "listpopswithdisk"]);
    out.assert_code(0);
    assert_eq!(out.json()["cpanelresult"]["event"]["result"], 1);
    let req = f.requests().pop().unwrap();
    assert_eq!(req.service, Service::Cpanel);
    assert_eq!(req.request.target, "/json-api/cpanel?cpanel_jsonapi_apiversion=2&cpanel_jsonapi_module=Email&cpanel_jsonapi_func=listpopswithdisk");

    let out = f.call(&bob, &["cpanel", "--api2", "Email", "addpop"]);
    out.assert_code(1)
        .assert_stderr("API error: You must specify an email address.");
    assert_eq!(out.json()["cpanelresult"]["event"]["result"], 0);

    f.as_root(&[
        "cpanel",
        "--api2",
        "--user",
        "bob",
        "Email",
        "listpopswithdisk",
    ])
    .assert_code(0);
    assert!(f
        .last()
        .target
        .starts_with("/json-api/cpanel?cpanel_jsonapi_user=bob&cpanel_jsonapi_apiversion=2&"));
    f.as_root(&[
        "cpanel",
        "--api2",
        "--user",
        "ghost",
        "Email",
        "listpopswithdisk",
    ])
    .assert_code(1)
    .assert_stderr("ghost");
}
