//! Signed AWS calls from the test itself, for the parts it plays: the deployer, the Lambda
//! service (pollers, logs, assuming a function's role) and EventBridge Scheduler. Its own file
//! because every other module speaks AWS through it: SigV4 signing, the three wire protocols
//! used (JSON with `X-Amz-Target`, the query protocol with XML answers, REST GET) and errors.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::Value;

pub const REGION: &str = "us-east-1";

/// Static or temporary credentials.
#[derive(Clone)]
pub struct Creds {
    pub key: String,
    pub secret: String,
    pub token: Option<String>,
}

impl std::fmt::Debug for Creds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Creds({})", self.key)
    }
}

impl Creds {
    /// From moto_iam.py's bootstrap line (`{"access_key_id", "secret_access_key"}`).
    pub fn from_json(v: &Value) -> Creds {
        Creds {
            key: v["access_key_id"].as_str().unwrap().into(),
            secret: v["secret_access_key"].as_str().unwrap().into(),
            token: None,
        }
    }

    /// The variables a process reads them from (the AWS SDKs' environment provider).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut v = vec![
            ("AWS_ACCESS_KEY_ID".into(), self.key.clone()),
            ("AWS_SECRET_ACCESS_KEY".into(), self.secret.clone()),
        ];
        if let Some(t) = &self.token {
            v.push(("AWS_SESSION_TOKEN".into(), t.clone()));
        }
        v
    }
}

/// An AWS error answer: status and body as sent.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub status: u16,
    pub body: String,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.body)
    }
}

/// The emulator's endpoint and one HTTP client.
#[derive(Clone)]
pub struct Aws {
    pub endpoint: String,
    http: reqwest::Client,
}

impl Aws {
    pub fn new(endpoint: &str) -> Aws {
        Aws {
            endpoint: endpoint.trim_end_matches('/').into(),
            http: dispatch_google::http::client_builder()
                .build()
                .expect("http client"),
        }
    }

    async fn send(
        &self,
        creds: &Creds,
        service: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<String, AwsError> {
        let url = format!("{}{path}", self.endpoint);
        let identity: Identity = Credentials::new(
            &creds.key,
            &creds.secret,
            creds.token.clone(),
            None,
            "deploy-test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(REGION)
            .name(service)
            .time(std::time::SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let signable = SignableRequest::new(
            method,
            url.as_str(),
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut req = self
            .http
            .request(method.parse().unwrap(), &url)
            .timeout(std::time::Duration::from_secs(60));
        for (k, v) in headers.iter().copied().chain(instructions.headers()) {
            req = req.header(k, v);
        }
        let resp = req.body(body).send().await.map_err(|e| AwsError {
            status: 0,
            body: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if status >= 300 {
            return Err(AwsError { status, body: text });
        }
        Ok(text)
    }

    /// A JSON-protocol call (`X-Amz-Target: {target}`).
    pub async fn json(
        &self,
        creds: &Creds,
        service: &str,
        target: &str,
        body: Value,
    ) -> Result<Value, AwsError> {
        let content_type = if service == "logs" {
            "application/x-amz-json-1.1"
        } else {
            "application/x-amz-json-1.0"
        };
        let text = self
            .send(
                creds,
                service,
                "POST",
                "/",
                &[("content-type", content_type), ("x-amz-target", target)],
                body.to_string().into_bytes(),
            )
            .await?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A query-protocol call (STS, IAM); the XML answer as text.
    pub async fn query(
        &self,
        creds: &Creds,
        service: &str,
        params: &[(&str, &str)],
    ) -> Result<String, AwsError> {
        let body = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            creds,
            service,
            "POST",
            "/",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body.into_bytes(),
        )
        .await
    }
}

/// Percent-encoding of a form value (RFC 3986 unreserved characters kept).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<tag>` in an XML answer.
pub fn xml_tag(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(unescape(&xml[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Percent-decoding (IAM returns policy documents URL-encoded).
pub fn dec(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `AssumeRole` of `role_arn`, as `caller` (the Lambda or Scheduler service identity).
pub async fn assume_role(aws: &Aws, caller: &Creds, role_arn: &str, session: &str) -> Creds {
    let xml = aws
        .query(
            caller,
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("Version", "2011-06-15"),
                ("RoleArn", role_arn),
                ("RoleSessionName", session),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("assuming {role_arn}: {e}"));
    Creds {
        key: xml_tag(&xml, "AccessKeyId").unwrap(),
        secret: xml_tag(&xml, "SecretAccessKey").unwrap(),
        token: xml_tag(&xml, "SessionToken"),
    }
}
