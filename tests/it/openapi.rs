//! The OpenAPI document describes exactly the registered endpoints, with each server
//! function's parameters as its fields (name, type, required-ness).

use crate::common::{client, TestApp};
use std::collections::{BTreeMap, BTreeSet};

/// Every `#[server(... endpoint = "…")]` in src/api with its parameters: name → (type, required).
fn server_functions() -> BTreeMap<String, BTreeMap<String, (&'static str, bool)>> {
    let mut found = BTreeMap::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in source.split("endpoint = \"").skip(1) {
            let endpoint = chunk.split('"').next().unwrap().to_string();
            let signature = chunk.split("pub async fn ").nth(1).unwrap();
            let params =
                &signature[signature.find('(').unwrap() + 1..signature.find(") ->").unwrap()];
            let mut fields = BTreeMap::new();
            for param in params.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (name, ty) = param.split_once(':').unwrap();
                let ty = ty.trim();
                let required = !ty.starts_with("Option<");
                let kind = match ty.trim_start_matches("Option<").trim_end_matches('>') {
                    "String" => "string",
                    "i64" => "integer",
                    "bool" => "boolean",
                    other => panic!("{endpoint}: a parameter of type {other}"),
                };
                fields.insert(name.trim().to_string(), (kind, required));
            }
            found.insert(format!("/api/{endpoint}"), fields);
        }
    }
    found
}

both_backends!(
    the_openapi_document_matches_the_routes,
    the_openapi_document_matches_the_routes
);
async fn the_openapi_document_matches_the_routes(app: TestApp) {
    let r = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // The server functions are the POSTs; the exports, the GETs.
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths
        .iter()
        .filter(|(_, item)| item.get("post").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    let exports: BTreeSet<String> = paths
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(path, _)| path.clone())
        .collect();
    // Each export and the list whose filter it takes (without the list's paging field).
    let sources = BTreeMap::from([
        (
            "/api/audit/export.csv".to_string(),
            ("/api/audit/list", "before"),
        ),
        (
            "/api/audit/export.ndjson".to_string(),
            ("/api/audit/list", "before"),
        ),
        (
            "/api/members/export.csv".to_string(),
            ("/api/members/list", "after"),
        ),
    ]);
    assert_eq!(exports, sources.keys().cloned().collect::<BTreeSet<_>>());
    for path in &exports {
        // Routed (an anonymous call is refused as such, not an unknown endpoint), and its
        // query parameters are its list's filter fields.
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let names: BTreeSet<&str> = paths[path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let (list, paging) = sources[path];
        let list: BTreeSet<&str> = paths[list]["post"]["requestBody"]["content"]
            ["application/x-www-form-urlencoded"]["schema"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != paging)
            .collect();
        assert_eq!(names, list, "{path}");
    }

    // Registered with the server (every #[server] function), as the router serves them.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .filter(|p| p.starts_with("/api/"))
        .collect();
    assert_eq!(
        documented.difference(&registered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented but not registered"
    );
    assert_eq!(
        registered.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "registered but not documented"
    );

    // Each operation's fields are the function's parameters.
    let functions = server_functions();
    assert_eq!(
        functions.keys().cloned().collect::<BTreeSet<_>>(),
        registered
    );
    for (path, params) in &functions {
        let schema = &doc["paths"][path]["post"]["requestBody"]["content"]
            ["application/x-www-form-urlencoded"]["schema"];
        let props = schema["properties"].as_object().unwrap();
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            props.keys().cloned().collect::<BTreeSet<_>>(),
            params.keys().cloned().collect::<BTreeSet<_>>(),
            "{path}: fields"
        );
        for (name, (kind, is_required)) in params {
            assert_eq!(props[name]["type"], *kind, "{path} {name}: type");
            assert_eq!(
                required.contains(name.as_str()),
                *is_required,
                "{path} {name}: required"
            );
        }
        // Both ways in are described; the token scope matches what the server enforces.
        let scope = roster::domain::scopes::required_scope(path).map(|s| s.as_str());
        assert_eq!(
            doc["paths"][path]["post"]["x-roster-token-scope"].as_str(),
            scope,
            "{path}"
        );
    }
    // Every endpoint exists: none of them answers 404 `unknown endpoint`.
    for path in &documented {
        let r = app.post(&client(), path, &[]).await;
        assert_ne!(r.status, 404, "{path}: {}", r.text);
    }
}
