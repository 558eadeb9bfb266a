//! A small browser for tests: a cookie jar, form posts, manual redirects, and the
//! mail the server wrote to files.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use super::http::{raw, Resp};

/// One site (one `Host`) with its cookies.
pub struct Browser {
    pub addr: SocketAddr,
    pub host: String,
    pub cookies: BTreeMap<String, String>,
    /// Extra headers sent with every request.
    pub headers: Vec<(String, String)>,
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Browser {
    pub fn new(addr: SocketAddr, host: &str) -> Self {
        Self { addr, host: host.to_owned(), cookies: BTreeMap::new(), headers: Vec::new() }
    }

    fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    fn keep(&mut self, resp: &Resp) {
        for (k, v) in &resp.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let first = v.split(';').next().unwrap_or("");
            let Some((name, value)) = first.split_once('=') else { continue };
            let lower = v.to_ascii_lowercase();
            let removed = lower.contains("max-age=0") || lower.contains("expires=thu, 01 jan 1970");
            if removed || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    fn head(&self, method: &str, target: &str, extra: &[(&str, &str)]) -> String {
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {}", self.host);
        if let Some(c) = self.cookie_header() {
            head.push_str(&format!("\r\nCookie: {c}"));
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("\r\n{k}: {v}"));
        }
        for (k, v) in extra {
            head.push_str(&format!("\r\n{k}: {v}"));
        }
        head
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let head = self.head("GET", path, &[]);
        let resp = raw(self.addr, &head);
        self.keep(&resp);
        resp
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        self.post_with(path, fields, &[])
    }

    pub fn post_with(&mut self, path: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Resp {
        let body = form_encode(fields);
        let len = body.len().to_string();
        let mut all = vec![("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", len.as_str())];
        all.extend_from_slice(extra);
        let mut head = self.head("POST", path, &all);
        head.push_str("\r\nConnection: close\r\n\r\n");
        head.push_str(&body);
        // `raw` adds the blank line after the head; send head and body ourselves.
        let resp = send_raw(self.addr, &head);
        self.keep(&resp);
        resp
    }

    /// Posts a `multipart/form-data` form with text fields and files
    /// (`(field, filename, bytes)`).
    pub fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Resp {
        self.post_multipart_interrupted(path, fields, files, || {})
    }

    /// As [`Browser::post_multipart`], calling `midway` once half the body is sent (the
    /// upload is then in flight: the server holds the request, waiting for the rest).
    pub fn post_multipart_interrupted(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        midway: impl FnOnce(),
    ) -> Resp {
        let boundary = "----civitas-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (field, name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let len = body.len().to_string();
        let ct = format!("multipart/form-data; boundary={boundary}");
        let mut head = self.head("POST", path, &[("Content-Type", ct.as_str()), ("Content-Length", len.as_str())]);
        head.push_str("\r\nConnection: close\r\n\r\n");
        let mut whole = head.into_bytes();
        let half = whole.len() + body.len() / 2;
        whole.extend_from_slice(&body);
        let resp = send_bytes_in_two(self.addr, &whole, half, midway);
        self.keep(&resp);
        resp
    }

    /// The CSRF token in the form on `path`.
    pub fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        form_value(&page.body, "csrf").unwrap_or_else(|| panic!("no csrf field on {path}"))
    }

    /// Follows redirects on this site (relative or same-host `Location`) with GETs.
    pub fn follow(&mut self, mut resp: Resp) -> Resp {
        for _ in 0..10 {
            if !(300..400).contains(&resp.status) {
                break;
            }
            let Some(location) = resp.header("location").map(str::to_owned) else { break };
            let path = match location.split_once("://") {
                Some((_, rest)) => format!("/{}", rest.split_once('/').map(|(_, p)| p).unwrap_or("")),
                None => location,
            };
            resp = self.get(&path);
        }
        resp
    }
}

fn send_raw(addr: SocketAddr, whole: &str) -> Resp {
    send_bytes(addr, whole.as_bytes())
}

fn send_bytes_in_two(addr: SocketAddr, whole: &[u8], at: usize, midway: impl FnOnce()) -> Resp {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).ok();
    let (first, rest) = whole.split_at(at.min(whole.len()));
    let _ = stream.write_all(first);
    let _ = stream.flush();
    midway();
    let _ = stream.write_all(rest);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    super::http::parse_bytes(&bytes)
}

fn send_bytes(addr: SocketAddr, whole: &[u8]) -> Resp {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok();
    // A server may answer (413) and close before reading a large body: read what it said.
    let _ = stream.write_all(whole);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    super::http::parse_bytes(&bytes)
}

/// The `value` of the input named `name` in `html` (first one).
pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// The messages written for a tenant, oldest first.
pub fn mails(data_dir: &Path, slug: &str) -> Vec<String> {
    let dir = data_dir.join("mail").join(slug);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).unwrap_or_default()).collect()
}

/// The first link in `mail` that contains `needle`.
pub fn link(mail: &str, needle: &str) -> Option<String> {
    mail.split_whitespace().find(|w| w.starts_with("http") && w.contains(needle)).map(str::to_owned)
}

/// The path (and query) of an absolute URL.
pub fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => format!("/{}", rest.split_once('/').map(|(_, p)| p).unwrap_or("")),
        None => url.to_owned(),
    }
}
