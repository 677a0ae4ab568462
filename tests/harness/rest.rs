//! The emulator's REST API: an independent way for tests to read what is really stored, and to
//! act as an unauthenticated client against `firestore.rules`.

use serde_json::Value;

pub struct Rest {
    base: String,
    client: reqwest::Client,
}

impl Rest {
    pub fn new(host: &str, project_id: &str) -> Self {
        Self {
            base: format!("http://{host}/v1/projects/{project_id}/databases/(default)/documents"),
            client: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// GET as the server (admin token): `None` when the document does not exist.
    pub async fn get_as_admin(&self, path: &str) -> Option<Value> {
        let response =
            self.client.get(self.url(path)).bearer_auth("owner").send().await.expect("emulator answers");
        match response.status().as_u16() {
            200 => Some(response.json().await.expect("json")),
            404 => None,
            other => panic!("unexpected {other} for {path}: {}", response.text().await.unwrap_or_default()),
        }
    }

    /// Every document of a collection as the server sees it (following pages).
    pub async fn list_as_admin(&self, collection: &str) -> Vec<Value> {
        let mut docs = Vec::new();
        let mut page_token = String::new();
        loop {
            let response: Value = self
                .client
                .get(self.url(collection))
                .bearer_auth("owner")
                .query(&[("pageSize", "300"), ("pageToken", page_token.as_str())])
                .send()
                .await
                .expect("emulator answers")
                .json()
                .await
                .expect("json");
            docs.extend(response["documents"].as_array().cloned().unwrap_or_default());
            match response["nextPageToken"].as_str() {
                Some(token) if !token.is_empty() => page_token = token.to_owned(),
                _ => return docs,
            }
        }
    }

    /// Writes a whole document as the server, bypassing the app (a hand edit, another tool, a
    /// bug): `fields` in the REST API's typed form, e.g. `{"name": {"stringValue": "x"}}`.
    pub async fn put_as_admin(&self, path: &str, fields: Value) {
        let response = self
            .client
            .patch(self.url(path))
            .bearer_auth("owner")
            .json(&serde_json::json!({ "fields": fields }))
            .send()
            .await
            .expect("emulator answers");
        assert!(response.status().is_success(), "put {path}: {}", response.text().await.unwrap_or_default());
    }

    /// Deletes a document outright, as the server.
    pub async fn delete_as_admin(&self, path: &str) {
        let response =
            self.client.delete(self.url(path)).bearer_auth("owner").send().await.expect("emulator answers");
        assert!(
            response.status().is_success(),
            "delete {path}: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// Status of an unauthenticated GET, as a browser using the client SDK would make it.
    pub async fn get_status_unauthenticated(&self, path: &str) -> u16 {
        self.client.get(self.url(path)).send().await.expect("emulator answers").status().as_u16()
    }

    /// Status of an unauthenticated create of `collection/id`.
    pub async fn create_status_unauthenticated(&self, collection: &str, id: &str) -> u16 {
        self.client
            .post(self.url(collection))
            .query(&[("documentId", id)])
            .json(&serde_json::json!({ "fields": { "x": { "stringValue": "y" } } }))
            .send()
            .await
            .expect("emulator answers")
            .status()
            .as_u16()
    }
}

/// A string field of a REST document.
pub fn string_field<'a>(doc: &'a Value, field: &str) -> Option<&'a str> {
    doc["fields"][field]["stringValue"].as_str()
}
