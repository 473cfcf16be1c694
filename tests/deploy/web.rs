//! A crew member answering an offer through the web function's URL, as a browser would: the
//! offer's page (GET, through a function-URL event), then the Accept form (POST with the page's
//! form guard). Its own file because it alone knows the function-URL event and the page's form.

use serde_json::{json, Value};

use crate::service::{Failed, LambdaService};

/// A function-URL event (payload format 2.0), as Lambda delivers a request to the function.
pub fn url_event(method: &str, path: &str, form: Option<&str>) -> Value {
    let mut headers = json!({
        "host": "abcdefg.lambda-url.us-east-1.on.aws",
        "user-agent": "Mozilla/5.0 (deploy test)",
        "accept": "text/html",
    });
    if form.is_some() {
        headers["content-type"] = "application/x-www-form-urlencoded".into();
        headers["origin"] = "null".into();
    }
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefg",
            "domainName": "abcdefg.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefg",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0 (deploy test)"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2027:10:00:00 +0000",
            "timeEpoch": chrono::Utc::now().timestamp_millis(),
        },
        "body": form,
        "isBase64Encoded": false,
    })
}

/// The path of the first crew-page link in a mail (`/o/<token>`), from its text as sent
/// (quoted-printable: soft line breaks joined, `=3D` read as `=`, as a mail client does).
pub fn offer_path(text: &str) -> Option<String> {
    link_path(text, "/o/")
}

/// The path of the first link under `https://crew.example.com{under}` in a mail's text.
pub fn link_path(text: &str, under: &str) -> Option<String> {
    let text = text
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start =
        text.find(&format!("https://crew.example.com{under}"))? + "https://crew.example.com".len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '>' || c == '<')
        .unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

pub fn body(response: &Value) -> String {
    let b = response["body"].as_str().unwrap_or_default();
    if response["isBase64Encoded"] == true {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b)
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        b.to_string()
    }
}

/// Opens the offer in the mail and presses Accept (or Decline): the answer page's text.
pub async fn answer(
    svc: &LambdaService<'_>,
    mail_text: &str,
    accept: bool,
) -> Result<String, Failed> {
    let path = offer_path(mail_text).ok_or("no offer link in the mail")?;
    let page = svc
        .invoke("WebFunction", url_event("GET", &path, None))
        .await?;
    if page["statusCode"] != 200 {
        return Err(format!(
            "the offer page {path} answered {}; mail: {mail_text}",
            page["statusCode"]
        ));
    }
    let html = body(&page);
    let guard = html
        .split("name=\"guard\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| format!("no form on the offer page: {html}"))?;
    // The form's own action, as a browser posts it (the page may carry a token of its own).
    let action = if accept { "accept" } else { "decline" };
    let target = html
        .split("action=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|a| a.ends_with(&format!("/{action}")))
        .ok_or_else(|| format!("no {action} form on the offer page: {html}"))?
        .replace("&amp;", "&");
    let form = format!("guard={}", crate::aws::enc(guard));
    let done = svc
        .invoke("WebFunction", url_event("POST", &target, Some(&form)))
        .await?;
    if done["statusCode"] != 200 {
        return Err(format!(
            "{action} answered {} to {form}: {}",
            done["statusCode"],
            body(&done)
        ));
    }
    Ok(body(&done))
}
